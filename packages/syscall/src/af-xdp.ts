/**
 * The raw AF_XDP socket layer (linux/if_xdp.h): the socket, UMEM registration, ring sizes,
 * ring mmap offsets, bind, statistics and wake-ups (UMEM registration in af-xdp-umem.ts). Each struct is encoded here in host byte
 * order (the kernel's) at the offsets of {@link AF_XDP_LAYOUTS}, and every argument is checked
 * before the kernel is asked. The user-facing socket class is `XskSocket` of `@ts-ebpf/xsk`.
 */
import {
  AfXdp,
  Errno,
  HOST_LITTLE_ENDIAN,
  MsgFlag,
  SocketType,
  XdpRingPgoff,
  XdpSockopt,
} from '@ts-ebpf/uapi';
import { BpfArgumentError, syscallError } from './errors.js';
import {
  sysBind,
  sysGetsockopt,
  sysRecvfromTry,
  sysSendtoTry,
  sysSetsockopt,
  sysSocket,
} from './ffi/sockets.js';
import { MappedMemory, Prot } from './memory.js';
import { checkFd, checkInt, checkU32 } from './validate.js';

/**
 * Byte offsets of the AF_XDP structs, by C field name, with `SIZE` the bytes passed to the
 * kernel (test/af-xdp-layouts.test.ts checks them against the C compiler's offsetof).
 */
export const AF_XDP_LAYOUTS = Object.freeze({
  /** `struct sockaddr_xdp`. */
  sockaddr_xdp: {
    sxdp_family: 0,
    sxdp_flags: 2,
    sxdp_ifindex: 4,
    sxdp_queue_id: 8,
    sxdp_shared_umem_fd: 12,
    SIZE: 16,
  },
  /**
   * `struct xdp_umem_reg`: `tx_metadata_len` (Linux 6.8) sits in what older headers leave as
   * padding after `flags`, so the size is 32 either way.
   */
  xdp_umem_reg: { addr: 0, len: 8, chunk_size: 16, headroom: 20, flags: 24, tx_metadata_len: 28, SIZE: 32 },
  /** `struct xdp_ring_offset`. */
  xdp_ring_offset: { producer: 0, consumer: 8, desc: 16, flags: 24, SIZE: 32 },
  /** `struct xdp_mmap_offsets`. */
  xdp_mmap_offsets: { rx: 0, tx: 32, fr: 64, cr: 96, SIZE: 128 },
  /** `struct xdp_desc`: one RX or TX descriptor. */
  xdp_desc: { addr: 0, len: 8, options: 12, SIZE: 16 },
  /** `struct xdp_statistics`. */
  xdp_statistics: {
    rx_dropped: 0,
    rx_invalid_descs: 8,
    tx_invalid_descs: 16,
    rx_ring_full: 24,
    rx_fill_ring_empty_descs: 32,
    tx_ring_empty_descs: 40,
    SIZE: 48,
  },
  /** `struct xdp_options`. */
  xdp_options: { flags: 0, SIZE: 4 },
} as const);

/** The four rings of an AF_XDP socket: RX and TX hold descriptors, fill and completion frame addresses. */
export type XdpRingKind = 'rx' | 'tx' | 'fill' | 'completion';

const RING_OPTION: Readonly<Record<XdpRingKind, number>> = {
  rx: XdpSockopt.RX_RING,
  tx: XdpSockopt.TX_RING,
  fill: XdpSockopt.UMEM_FILL_RING,
  completion: XdpSockopt.UMEM_COMPLETION_RING,
};

const RING_PGOFF: Readonly<Record<XdpRingKind, number>> = {
  rx: XdpRingPgoff.RX_RING,
  tx: XdpRingPgoff.TX_RING,
  fill: XdpRingPgoff.FILL_RING,
  completion: XdpRingPgoff.COMPLETION_RING,
};

/** Bytes of one entry of a ring: an `xdp_desc` (RX, TX) or a u64 frame address (fill, completion). */
export function xdpRingEntrySize(kind: XdpRingKind): number {
  return kind === 'rx' || kind === 'tx' ? AF_XDP_LAYOUTS.xdp_desc.SIZE : 8;
}

/** `XDP_UMEM_MIN_CHUNK_SIZE` (net/xdp_sock.h, kernel-internal): the smallest UMEM frame. */
export const XDP_UMEM_MIN_CHUNK_SIZE = 2048;

/** `socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0)`: a new AF_XDP socket (needs CAP_NET_RAW). */
export function xdpSocket(): number {
  return sysSocket(AfXdp.AF_XDP, SocketType.RAW | SocketType.CLOEXEC, 0);
}

/** `setsockopt(XDP_{RX,TX,UMEM_FILL,UMEM_COMPLETION}_RING)`: sizes one ring (a power of two). */
export function xdpSetRingSize(fd: number, kind: XdpRingKind, entries: number): void {
  checkFd(fd);
  const option = RING_OPTION[kind];
  if (option === undefined) throw new BpfArgumentError('ring', `unknown ring ${JSON.stringify(kind)}`);
  checkRingEntries(entries, `${kind} ring size`);
  sysSetsockopt(fd, AfXdp.SOL_XDP, option, new Uint8Array(new Uint32Array([entries]).buffer));
}

function checkRingEntries(entries: number, argument: string): void {
  checkInt(entries, argument, 1, 0x80000000);
  if ((entries & (entries - 1)) !== 0)
    throw new BpfArgumentError(argument, `${entries} is not a power of two`);
}

/** Where the producer, consumer, flags words and the first entry of a ring sit in its mapping. */
export interface XdpRingOffsets {
  readonly producer: number;
  readonly consumer: number;
  readonly desc: number;
  readonly flags: number;
}

/** `struct xdp_mmap_offsets`, decoded. */
export type XdpMmapOffsets = Readonly<Record<XdpRingKind, XdpRingOffsets>>;

/** `getsockopt(XDP_MMAP_OFFSETS)`: where each ring's words and entries sit in its mapping. */
export function xdpMmapOffsets(fd: number): XdpMmapOffsets {
  checkFd(fd);
  const L = AF_XDP_LAYOUTS.xdp_mmap_offsets;
  const storage = new ArrayBuffer(L.SIZE);
  const buf = new Uint8Array(storage);
  const len = sysGetsockopt(fd, AfXdp.SOL_XDP, XdpSockopt.MMAP_OFFSETS, buf);
  if (len < L.SIZE) {
    // Kernels before 5.4 answer without the flags words (need-wakeup did not exist).
    throw new BpfArgumentError(
      'kernel',
      `XDP_MMAP_OFFSETS returned ${len} bytes, not ${L.SIZE}: Linux 5.4 or later is needed`,
    );
  }
  const v = new DataView(storage);
  const R = AF_XDP_LAYOUTS.xdp_ring_offset;
  const ring = (at: number): XdpRingOffsets => ({
    producer: Number(v.getBigUint64(at + R.producer, HOST_LITTLE_ENDIAN)),
    consumer: Number(v.getBigUint64(at + R.consumer, HOST_LITTLE_ENDIAN)),
    desc: Number(v.getBigUint64(at + R.desc, HOST_LITTLE_ENDIAN)),
    flags: Number(v.getBigUint64(at + R.flags, HOST_LITTLE_ENDIAN)),
  });
  return Object.freeze({ rx: ring(L.rx), tx: ring(L.tx), fill: ring(L.fr), completion: ring(L.cr) });
}

/**
 * mmap of one ring of socket `fd` (sized before with {@link xdpSetRingSize}): a shared
 * read-write mapping of `offsets.desc + entries * entry size` bytes at the ring's page offset.
 */
export function xdpMapRing(
  fd: number,
  kind: XdpRingKind,
  entries: number,
  offsets: XdpRingOffsets,
): MappedMemory {
  checkFd(fd);
  const pgoff = RING_PGOFF[kind];
  if (pgoff === undefined) throw new BpfArgumentError('ring', `unknown ring ${JSON.stringify(kind)}`);
  checkRingEntries(entries, `${kind} ring size`);
  return MappedMemory.map({
    length: offsets.desc + entries * xdpRingEntrySize(kind),
    prot: Prot.READ | Prot.WRITE,
    fd,
    offset: pgoff,
  });
}

/** Options of {@link xdpBind}. */
export interface XdpBindOptions {
  /** The interface's index. */
  readonly ifindex: number;
  /**
   * The RX/TX queue of the interface: 0 to {@link XDP_MAX_QUEUE_ID} (65535). Default 0.
   */
  readonly queueId?: number;
  /** `XdpBindFlag` bits (`COPY`, `ZEROCOPY`, `USE_NEED_WAKEUP`, `SHARED_UMEM`, `USE_SG`). Default 0. */
  readonly flags?: number;
  /** With `XdpBindFlag.SHARED_UMEM`: the socket whose UMEM this one shares. Default 0. */
  readonly sharedUmemFd?: number;
}

/**
 * The largest queue id {@link xdpBind} takes. `sxdp_queue_id` is 32 bits wide, but the kernel
 * registers the socket's buffer pool at the queue through 16-bit parameters
 * (`xp_assign_dev()` in net/xdp/xsk_buff_pool.c, `xsk_reg_pool_at_qid()` in net/xdp/xsk.c, Linux
 * 6.18): queue 65536 would be taken as queue 0 and the socket, which keeps the 32-bit id, would
 * then never receive.
 */
export const XDP_MAX_QUEUE_ID = 0xffff;

/**
 * The encoded `struct sockaddr_xdp` of {@link xdpBind}.
 * @throws BpfArgumentError for a flag, ifindex, queue id (above {@link XDP_MAX_QUEUE_ID}) or
 *   shared UMEM fd out of range
 */
export function sockaddrXdp(o: XdpBindOptions): Uint8Array {
  const L = AF_XDP_LAYOUTS.sockaddr_xdp;
  const storage = new ArrayBuffer(L.SIZE);
  const out = new Uint8Array(storage);
  const v = new DataView(storage);
  v.setUint16(L.sxdp_family, AfXdp.AF_XDP, HOST_LITTLE_ENDIAN);
  v.setUint16(L.sxdp_flags, checkInt(o.flags ?? 0, 'flags', 0, 0xffff), HOST_LITTLE_ENDIAN);
  v.setUint32(L.sxdp_ifindex, checkInt(o.ifindex, 'ifindex', 1, 0x7fffffff), HOST_LITTLE_ENDIAN);
  v.setUint32(L.sxdp_queue_id, checkQueueId(o.queueId ?? 0), HOST_LITTLE_ENDIAN);
  v.setUint32(L.sxdp_shared_umem_fd, checkU32(o.sharedUmemFd ?? 0, 'sharedUmemFd'), HOST_LITTLE_ENDIAN);
  return out;
}

function checkQueueId(queueId: number): number {
  checkU32(queueId, 'queueId');
  if (queueId > XDP_MAX_QUEUE_ID) {
    throw new BpfArgumentError(
      'queueId',
      `${queueId} is above ${XDP_MAX_QUEUE_ID}: the kernel registers an AF_XDP socket at its queue by a 16-bit id, ` +
        `so it would bind queue ${queueId & XDP_MAX_QUEUE_ID} and never receive`,
    );
  }
  return queueId;
}

/**
 * `bind(fd, sockaddr_xdp)`: attaches the socket to one queue of an interface. Checked first:
 * the options (see {@link sockaddrXdp}); whether the queue exists is the kernel's to say (EINVAL).
 * @throws BpfArgumentError for a queue id above {@link XDP_MAX_QUEUE_ID}, which the kernel would
 *   truncate to another queue
 */
export function xdpBind(fd: number, o: XdpBindOptions): void {
  sysBind(checkFd(fd), sockaddrXdp(o));
}

/** `struct xdp_statistics`: the socket's drop counters. */
export interface XdpStatistics {
  /** Frames dropped for other reasons. */
  readonly rxDropped: bigint;
  /** Frames dropped because of an invalid descriptor. */
  readonly rxInvalidDescs: bigint;
  /** TX descriptors refused as invalid. */
  readonly txInvalidDescs: bigint;
  /** Frames dropped because the RX ring was full. */
  readonly rxRingFull: bigint;
  /** Times the kernel found the fill ring empty. */
  readonly rxFillRingEmptyDescs: bigint;
  /** Times the kernel found the TX ring empty when woken. */
  readonly txRingEmptyDescs: bigint;
}

/** `getsockopt(XDP_STATISTICS)`. */
export function xdpStatistics(fd: number): XdpStatistics {
  checkFd(fd);
  const L = AF_XDP_LAYOUTS.xdp_statistics;
  const storage = new ArrayBuffer(L.SIZE);
  const buf = new Uint8Array(storage);
  const len = sysGetsockopt(fd, AfXdp.SOL_XDP, XdpSockopt.STATISTICS, buf);
  if (len < L.SIZE) {
    throw new BpfArgumentError(
      'kernel',
      `XDP_STATISTICS returned ${len} bytes, not ${L.SIZE}: Linux 5.9 or later is needed`,
    );
  }
  const v = new DataView(storage);
  const at = (o: number) => v.getBigUint64(o, HOST_LITTLE_ENDIAN);
  return {
    rxDropped: at(L.rx_dropped),
    rxInvalidDescs: at(L.rx_invalid_descs),
    txInvalidDescs: at(L.tx_invalid_descs),
    rxRingFull: at(L.rx_ring_full),
    rxFillRingEmptyDescs: at(L.rx_fill_ring_empty_descs),
    txRingEmptyDescs: at(L.tx_ring_empty_descs),
  };
}

/** `getsockopt(XDP_OPTIONS)`: the `XdpOptionFlag` bits of a bound socket (`ZEROCOPY`). */
export function xdpOptions(fd: number): number {
  checkFd(fd);
  const storage = new ArrayBuffer(AF_XDP_LAYOUTS.xdp_options.SIZE);
  const buf = new Uint8Array(storage);
  sysGetsockopt(fd, AfXdp.SOL_XDP, XdpSockopt.OPTIONS, buf);
  return new DataView(storage).getUint32(AF_XDP_LAYOUTS.xdp_options.flags, HOST_LITTLE_ENDIAN);
}

// The errnos a wake-up may answer that only mean "busy, try later" (the frames stay queued).
const WAKEUP_TRANSIENT: ReadonlySet<number> = new Set([
  Errno.EAGAIN,
  Errno.EBUSY,
  Errno.ENOBUFS,
  Errno.ENETDOWN,
]);
const EMPTY = new Uint8Array(0);

/**
 * Wakes the kernel to send what the TX ring holds: `sendto(fd, NULL, 0, MSG_DONTWAIT)`.
 * @returns false when the kernel answered it is busy (EAGAIN, EBUSY, ENOBUFS, ENETDOWN): the
 *   descriptors stay in the ring for the next wake-up; other errors throw.
 */
export function xdpWakeupTx(fd: number): boolean {
  const r = sysSendtoTry(checkFd(fd), EMPTY, MsgFlag.DONTWAIT);
  if (r >= 0) return true;
  if (WAKEUP_TRANSIENT.has(-r)) return false;
  throw syscallError(-r, { syscall: 'sendto', detail: `AF_XDP TX wake-up, fd ${fd}` });
}

/**
 * Wakes the kernel to fill the RX ring (for sockets bound with `USE_NEED_WAKEUP` whose fill ring
 * asks for it): `recvfrom(fd, NULL, 0, MSG_DONTWAIT)`. @returns false when the kernel was busy.
 */
export function xdpWakeupRx(fd: number): boolean {
  const r = sysRecvfromTry(checkFd(fd), EMPTY, MsgFlag.DONTWAIT);
  if (r >= 0) return true;
  if (WAKEUP_TRANSIENT.has(-r)) return false;
  throw syscallError(-r, { syscall: 'recvfrom', detail: `AF_XDP RX wake-up, fd ${fd}` });
}
