/**
 * AF_XDP UMEM registration (`XDP_UMEM_REG`, net/xdp/xdp_umem.c `xdp_umem_reg()`): every rule
 * the kernel applies that user space can know is checked before the call; the one it cannot
 * (the tailroom a kernel build keeps in each frame) turns the kernel's EINVAL into
 * {@link XdpUmemHeadroomError}.
 */
import { AfXdp, BpfLimit, EbpfError, HOST_LITTLE_ENDIAN, XdpSockopt, XdpUmemFlag } from '@ts-ebpf/uapi';
import { AF_XDP_LAYOUTS, XDP_UMEM_MIN_CHUNK_SIZE } from './af-xdp.js';
import { BpfArgumentError, BpfSyscallError, ObjectClosedError } from './errors.js';
import { sysSetsockopt } from './ffi/sockets.js';
import { type MappedMemory, pageSize } from './memory.js';
import { checkFd, checkInt, checkU32 } from './validate.js';

/**
 * Bytes of packet room `xdp_umem_reg()` keeps in each frame past the headroom, on every
 * kernel that checks it (the literal 128 of the headroom rule in net/xdp/xdp_umem.c: "HW
 * typically works with 128-aligned sizes so let us provide this value as bare minimum").
 */
const MIN_PACKET_ROOM = 128;

/**
 * The largest headroom {@link xdpUmemRegister} passes to the kernel for frames of `chunkSize`
 * bytes: `chunkSize − XDP_PACKET_HEADROOM (256) − 128`.
 *
 * The kernel's own limit is lower by `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`, the
 * tailroom a multi-buffer frame keeps for its fragment list (xdp_umem.c since the 2026 fix
 * a315e022a72d "xsk: tighten UMEM headroom validation to account for tailroom and min frame",
 * also in stable kernels): that size depends on the kernel build (320 bytes on x86-64, so 704
 * bytes below the frame size in all) and cannot be read from user space, so a headroom
 * between the two limits is refused by the kernel, as {@link XdpUmemHeadroomError}. Kernels
 * without the fix take up to `chunkSize − 257`; this check then refuses the last 127 bytes,
 * which leave less than a minimum-size Ethernet frame's room once the kernel's part is taken.
 */
export function xdpMaxHeadroom(chunkSize: number): number {
  return chunkSize - BpfLimit.XDP_PACKET_HEADROOM - MIN_PACKET_ROOM;
}

/**
 * The kernel refused a UMEM's headroom (`XDP_UMEM_REG` answered EINVAL when every other rule
 * it applies had been checked): the headroom leaves less than the kernel build keeps for the
 * packet and its tailroom (see {@link xdpMaxHeadroom}). `cause` is the kernel's error.
 */
export class XdpUmemHeadroomError extends EbpfError {
  /** The headroom asked for. */
  readonly headroom: number;
  /** The frame size it was asked for. */
  readonly chunkSize: number;

  /**
   * @param headroom - the headroom asked for
   * @param chunkSize - the frame size
   * @param options - `cause`: the kernel's EINVAL
   */
  constructor(headroom: number, chunkSize: number, options?: { readonly cause?: unknown }) {
    super(
      `headroom ${headroom} was refused by the kernel for ${chunkSize}-byte frames (XDP_UMEM_REG: EINVAL): ` +
        `it keeps ${BpfLimit.XDP_PACKET_HEADROOM} bytes (XDP_PACKET_HEADROOM), ${MIN_PACKET_ROOM} for a minimum packet and ` +
        'SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) of tailroom in each frame, a size that depends on the kernel build ' +
        `(320 bytes on x86-64: headroom at most ${chunkSize - 704} there); choose a smaller headroom`,
      options,
    );
    this.name = 'XdpUmemHeadroomError';
    this.headroom = headroom;
    this.chunkSize = chunkSize;
  }
}

/** The `XdpUmemFlag` bits Linux 6.18 takes (`XDP_UMEM_FLAGS_VALID` in net/xdp/xdp_umem.c). */
const KNOWN_FLAGS = XdpUmemFlag.UNALIGNED_CHUNK_FLAG | XdpUmemFlag.TX_SW_CSUM | XdpUmemFlag.TX_METADATA_LEN;

/**
 * The kernel keeps `tx_metadata_len` in a byte and takes a multiple of 8 below 256
 * (`xdp_umem_reg()` in net/xdp/xdp_umem.c): at most 248.
 */
export const XDP_MAX_TX_METADATA_LEN = 248;

/**
 * The smallest TX metadata length {@link xdpUmemRegister} takes: the 8-byte `flags` of
 * `struct xsk_tx_metadata` and the 8 bytes of its smallest union member (`completion`'s
 * `tx_timestamp`, linux/if_xdp.h). The Linux 6.18 source takes 0 and 8 too, but the 6.18 stable
 * kernel these tests run on (6.18.44) refuses both (EINVAL), and an area that short holds no
 * request the kernel could read anyway.
 */
export const XDP_MIN_TX_METADATA_LEN = 16;

/** Options of {@link xdpUmemRegister}. */
export interface XdpUmemRegistration {
  /**
   * Bytes of one frame (chunk): from 2048 up to the page size, and a power of two unless the
   * UMEM is unaligned (`XdpUmemFlag.UNALIGNED_CHUNK_FLAG`).
   */
  readonly chunkSize: number;
  /**
   * Bytes the kernel leaves free before each received packet, past its own 256: at most
   * {@link xdpMaxHeadroom}, and the kernel may want less. Default 0.
   */
  readonly headroom?: number;
  /**
   * `XdpUmemFlag` bits. Default 0. `UNALIGNED_CHUNK_FLAG`: frames at any address (see
   * `chunkSize`). `TX_SW_CSUM` (Linux 6.8): the kernel computes the checksum a TX descriptor's
   * metadata asks for in software instead of the device; only copy mode sends that way (a
   * zero-copy socket leaves the checksum to its driver), and only frames with TX metadata ask
   * (see `txMetadataLen`). `TX_METADATA_LEN` (Linux 6.11): set by `txMetadataLen`, and refused
   * here without it. Other bits are refused before the kernel (Linux 6.18 knows no other).
   */
  readonly flags?: number;
  /**
   * Bytes of TX metadata (`struct xsk_tx_metadata`, 24 bytes on Linux 6.18, and any padding) the
   * kernel reads right before the address of each TX descriptor that carries the
   * `XDP_TX_METADATA` option: a multiple of 8 from {@link XDP_MIN_TX_METADATA_LEN} (16) to
   * {@link XDP_MAX_TX_METADATA_LEN} (248).
   * Given, it sets `XdpUmemFlag.TX_METADATA_LEN` (Linux 6.11; without the flag the kernel ignores
   * the length). The bytes come out of each frame's headroom, which the caller sizes to hold
   * them. Default: no TX metadata.
   */
  readonly txMetadataLen?: number;
}

/**
 * `setsockopt(XDP_UMEM_REG)`: registers `umem` (a writable, page-aligned mapping) as the packet
 * memory of socket `fd`, cut in frames of `chunkSize` bytes. The kernel pins the pages; they
 * must stay mapped while the socket is open. Checked first: the frame size (from 2048 up to the
 * page size in either mode, and a power of two unless `XdpUmemFlag.UNALIGNED_CHUNK_FLAG`), a
 * headroom that leaves room for a packet ({@link xdpMaxHeadroom}), a length that is a whole
 * number of frames (unaligned: at least one frame), the flags (`XdpUmemFlag` bits only,
 * `TX_METADATA_LEN` only with `txMetadataLen`) and the TX metadata length (a multiple of 8 from 16 to
 * 248). A kernel older than a flag (`TX_SW_CSUM` before 6.8, `TX_METADATA_LEN` before 6.11)
 * refuses it with EINVAL.
 *
 * The pointer the kernel receives (`addr`, `len`) is built here from `umem` itself, a mapping
 * this package made and checks is still open; the raw `setsockopt` export takes a caller-built
 * `struct xdp_umem_reg` whose address and length nothing can check (see its documentation).
 * @throws XdpUmemHeadroomError when the kernel refuses the headroom (a limit that depends on
 *   its build, see {@link xdpMaxHeadroom}).
 */
export function xdpUmemRegister(fd: number, umem: MappedMemory, o: XdpUmemRegistration): void {
  checkFd(fd);
  if (umem.closed) throw new ObjectClosedError('UMEM mapping');
  if (!umem.writable)
    throw new BpfArgumentError('umem', 'must be a writable mapping (Prot.READ | Prot.WRITE)');
  const flags = checkUmemFlags(o.flags ?? 0, o.txMetadataLen);
  const unaligned = (flags & XdpUmemFlag.UNALIGNED_CHUNK_FLAG) !== 0;
  const chunkSize = checkInt(o.chunkSize, 'chunkSize', XDP_UMEM_MIN_CHUNK_SIZE, 0xffffffff);
  if (chunkSize > pageSize()) {
    // xdp_umem_reg() answers EINVAL to a chunk_size above PAGE_SIZE before it looks at the
    // alignment flag or the memory: Linux 6.18 refuses it on a MAP_HUGETLB UMEM too.
    throw new BpfArgumentError(
      'chunkSize',
      `${chunkSize} is above the page size (${pageSize()}): the kernel takes frames of at most a page, ` +
        `in aligned and unaligned mode alike, hugepage-backed UMEM included`,
    );
  }
  if (!unaligned && (chunkSize & (chunkSize - 1)) !== 0) {
    throw new BpfArgumentError(
      'chunkSize',
      `${chunkSize} is not a power of two (needed unless the UMEM is unaligned)`,
    );
  }
  const headroom = checkInt(o.headroom ?? 0, 'headroom', 0, xdpMaxHeadroom(chunkSize));
  if (!unaligned && umem.length % chunkSize !== 0) {
    throw new BpfArgumentError(
      'umem',
      `its ${umem.length} bytes are not a whole number of ${chunkSize}-byte frames`,
    );
  }
  if (umem.length < chunkSize) {
    // Unaligned mode takes a partial frame at the end, but not a UMEM without one whole frame.
    throw new BpfArgumentError('umem', `its ${umem.length} bytes hold no whole ${chunkSize}-byte frame`);
  }
  const L = AF_XDP_LAYOUTS.xdp_umem_reg;
  const storage = new ArrayBuffer(L.SIZE);
  const reg = new Uint8Array(storage);
  const v = new DataView(storage);
  v.setBigUint64(L.addr, umem.address, HOST_LITTLE_ENDIAN);
  v.setBigUint64(L.len, BigInt(umem.length), HOST_LITTLE_ENDIAN);
  v.setUint32(L.chunk_size, chunkSize, HOST_LITTLE_ENDIAN);
  v.setUint32(L.headroom, headroom, HOST_LITTLE_ENDIAN);
  v.setUint32(L.flags, flags, HOST_LITTLE_ENDIAN);
  v.setUint32(L.tx_metadata_len, o.txMetadataLen ?? 0, HOST_LITTLE_ENDIAN);
  try {
    sysSetsockopt(fd, AfXdp.SOL_XDP, XdpSockopt.UMEM_REG, reg);
  } catch (e) {
    // With the rules above checked and no flag but the alignment one, the kernel's only EINVAL
    // left is the headroom's tailroom rule.
    const onlyHeadroomLeft = headroom > 0 && (flags & ~XdpUmemFlag.UNALIGNED_CHUNK_FLAG) === 0;
    if (e instanceof BpfSyscallError && e.code === 'EINVAL' && onlyHeadroomLeft) {
      throw new XdpUmemHeadroomError(headroom, chunkSize, { cause: e });
    }
    throw e;
  }
}

/**
 * Checks the flags and TX metadata length of a UMEM registration: `XdpUmemFlag` bits only,
 * `TX_METADATA_LEN` only with a length, a length a multiple of 8 from 16 to 248.
 * @returns the flags, with `TX_METADATA_LEN` when a length is given
 */
function checkUmemFlags(given: number, txMetadataLen: number | undefined): number {
  const flags = checkU32(given, 'flags');
  const unknown = flags & ~KNOWN_FLAGS;
  if (unknown !== 0) {
    throw new BpfArgumentError(
      'flags',
      `0x${unknown.toString(16)} is no XdpUmemFlag bit (UNALIGNED_CHUNK_FLAG, TX_SW_CSUM, TX_METADATA_LEN): the kernel refuses it`,
    );
  }
  if (txMetadataLen === undefined) {
    if (flags & XdpUmemFlag.TX_METADATA_LEN) {
      throw new BpfArgumentError(
        'txMetadataLen',
        'flags has TX_METADATA_LEN but no txMetadataLen is given: give the length (it sets the flag)',
      );
    }
    return flags;
  }
  checkTxMetadataLen(txMetadataLen, 'txMetadataLen');
  return (flags | XdpUmemFlag.TX_METADATA_LEN) >>> 0;
}

/**
 * Checks a TX metadata length as `xdp_umem_reg()` does (a multiple of 8 below 256) and as this
 * package takes it (from {@link XDP_MIN_TX_METADATA_LEN}, 16, to {@link XDP_MAX_TX_METADATA_LEN}, 248).
 * @param argument - how the message names it (`'txMetadataLen'`)
 * @throws BpfArgumentError otherwise
 */
export function checkTxMetadataLen(txMetadataLen: unknown, argument: string): number {
  if (
    typeof txMetadataLen !== 'number' ||
    !Number.isInteger(txMetadataLen) ||
    txMetadataLen < XDP_MIN_TX_METADATA_LEN ||
    txMetadataLen > XDP_MAX_TX_METADATA_LEN ||
    txMetadataLen % 8 !== 0
  ) {
    throw new BpfArgumentError(
      argument,
      `expected a multiple of 8 from ${XDP_MIN_TX_METADATA_LEN} to ${XDP_MAX_TX_METADATA_LEN} bytes of TX metadata ` +
        `(the kernel keeps it in a byte, in steps of 8; less than 16 holds no struct xsk_tx_metadata), got ${String(txMetadataLen)}`,
    );
  }
  return txMetadataLen;
}
