import {
  BpfArgumentError,
  checkTxMetadataLen,
  pageSize,
  XDP_UMEM_MIN_CHUNK_SIZE,
  xdpMaxHeadroom,
} from '@ts-ebpf/syscall';
import { XdpBindFlag, XdpUmemFlag } from '@ts-ebpf/uapi';

/** How the kernel moves frames between the driver and the UMEM. */
export type XskMode =
  /** Copy mode (`XDP_COPY`): works on every interface, generic XDP included. */
  | 'copy'
  /** Zero-copy mode (`XDP_ZEROCOPY`): the driver DMAs into the UMEM; bind fails where the driver cannot. */
  | 'zerocopy'
  /** Let the kernel choose: zero-copy where the driver supports it, copy otherwise. */
  | 'auto';

/** Options of {@link XskSocket.open}. */
export interface XskSocketOptions {
  /** The interface, by name (`'eth0'`) or index. */
  readonly interface: string | number;
  /**
   * The interface queue to bind to; an XDP program redirects into it by `rx_queue_index`. One
   * not below the interface's queue counts is `XskQueueRangeError`; where the kernel lists no
   * counts, one above 65535 is still refused before the bind (`BpfArgumentError` from `xdpBind`:
   * the kernel keeps 16 bits of it and would bind another queue). Default 0.
   */
  readonly queueId?: number;
  /** Bytes of one UMEM frame: a power of two from 2048 up to the page size. Default 4096. */
  readonly frameSize?: number;
  /**
   * Frames in the UMEM: `fillSize` of them receive, the rest (at least one) transmit. Default
   * 4096; for a receive-only socket (`txSize: 0`) exactly `fillSize`, its default; for a
   * transmit-only socket (`rxSize: 0`) any number from 1 (all transmit), `txSize` by default.
   */
  readonly frameCount?: number;
  /**
   * Bytes the kernel leaves before each received packet, past its own 256: at most
   * `frameSize − 384` (checked before any system call), and the kernel wants room for its
   * tailroom too, a size that depends on its build: at most `frameSize − 704` on x86-64 (it
   * refuses more with `XdpUmemHeadroomError`). Default 0.
   */
  readonly headroom?: number;
  /**
   * Entries of the fill ring, and the number of frames handed to the kernel for receiving (a
   * power of two). On a transmit-only socket (`rxSize: 0`) the ring stays empty: the kernel
   * binds no socket without one, so it is made all the same (`fillSize: 1` keeps it small).
   * Default 2048.
   */
  readonly fillSize?: number;
  /**
   * Entries of the completion ring (a power of two); on a receive-only socket it stays empty, as
   * the fill ring does on a transmit-only one. Default 2048.
   */
  readonly completionSize?: number;
  /**
   * Entries of the RX ring (a power of two), or 0 for a transmit-only socket: no RX ring, no
   * frame receives, every frame transmits, and `receive()`, `receiveEach()` and `batches()`
   * throw `XskTransmitOnlyError`. Default 2048.
   */
  readonly rxSize?: number;
  /**
   * Entries of the TX ring (a power of two), or 0 for a receive-only socket: no TX ring, every
   * frame receives, and `transmit()` throws `XskReceiveOnlyError`. Default 2048.
   */
  readonly txSize?: number;
  /** Default `'auto'`. */
  readonly mode?: XskMode;
  /**
   * Bind with `XDP_USE_NEED_WAKEUP`: the kernel sets a flag when it needs a system call to go on,
   * and the socket makes that call only then. Default true.
   */
  readonly needWakeup?: boolean;
  /**
   * Bytes of TX metadata before each transmitted frame (the UMEM's `tx_metadata_len`, Linux
   * 6.8; `XdpUmemFlag.TX_METADATA_LEN`, 6.11): a multiple of 8 from 16 to 248. With it,
   * {@link XskSocket.transmit} takes a metadata request (a checksum, a timestamp, a launch
   * time) for each frame; 24 holds the whole `struct xsk_tx_metadata` of Linux 6.15 and later,
   * 16 all but the launch time. Each transmit frame gives up these bytes: frames of at most
   * `frameSize − txMetadataLen` bytes. Default: no TX metadata.
   */
  readonly txMetadataLen?: number;
  /**
   * Register the UMEM with `XdpUmemFlag.TX_SW_CSUM` (Linux 6.8): the kernel computes the
   * checksum a frame's TX metadata asks for in software while it builds the packet, so the
   * bytes that leave hold it whatever the device does. Acts only in copy mode (it needs
   * `mode: 'copy'`) and only on frames with TX metadata (it needs `txMetadataLen`); meant for
   * testing and for devices without checksum offload (it costs a pass over each frame).
   * Default false.
   */
  readonly softwareChecksum?: boolean;
}

/** Options of {@link XskSocket.batches}. */
export interface XskBatchOptions {
  /** Ends the iteration when aborted (no error: the loop just ends). */
  readonly signal?: AbortSignal;
  /** Longest pause between two looks at an empty RX ring, in milliseconds. Default 1. */
  readonly intervalMs?: number;
  /** At most this many frames in one batch. Default the RX ring size. */
  readonly max?: number;
}

/** The four rings, by the names `xdpSetRingSize` takes. */
export type XskRingKind = 'fill' | 'completion' | 'rx' | 'tx';

/** {@link XskSocketOptions} checked, with their defaults. @internal */
export interface XskSettings {
  readonly queueId: number;
  readonly frameSize: number;
  readonly frameCount: number;
  readonly headroom: number;
  readonly sizes: Readonly<Record<XskRingKind, number>>;
  /** `XdpBindFlag` bits: the mode and `USE_NEED_WAKEUP`. */
  readonly bindFlags: number;
  readonly needWakeup: boolean;
  /** Bytes of TX metadata before each transmit frame; 0 for none. */
  readonly txMetadataLen: number;
  /** `XdpUmemFlag` bits of the UMEM (`TX_SW_CSUM`). */
  readonly umemFlags: number;
}

const MODE_FLAG: Readonly<Record<XskMode, number>> = {
  copy: XdpBindFlag.COPY,
  zerocopy: XdpBindFlag.ZEROCOPY,
  auto: 0,
};

const RING_MAX = 1 << 20;
const FRAME_COUNT_MAX = 1 << 22;

const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BpfArgumentError(name, `expected an integer in [${min}, ${max}], got ${shown(value)}`);
  }
  return value;
}

function powerOfTwo(value: unknown, name: string, min: number, max: number): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > max ||
    (value & (value - 1)) !== 0
  ) {
    throw new BpfArgumentError(name, `expected a power of two in [${min}, ${max}], got ${shown(value)}`);
  }
  return value;
}

/**
 * `frameCount`: the fill ring's frames plus at least one to transmit; for a receive-only socket
 * exactly the fill ring's (the others would serve nothing); for a transmit-only one any number
 * from 1 (none receives), the TX ring's size by default.
 */
function checkFrameCount(value: unknown, sizes: Readonly<Record<XskRingKind, number>>): number {
  const receiveOnly = sizes.tx === 0;
  const transmitOnly = sizes.rx === 0;
  const frameCount = value ?? (receiveOnly ? sizes.fill : transmitOnly ? sizes.tx : 4096);
  const min = receiveOnly ? sizes.fill : transmitOnly ? 1 : sizes.fill + 1;
  const max = receiveOnly ? sizes.fill : FRAME_COUNT_MAX;
  if (
    typeof frameCount === 'number' &&
    Number.isInteger(frameCount) &&
    frameCount >= min &&
    frameCount <= max
  ) {
    return frameCount;
  }
  const expected = receiveOnly
    ? `expected fillSize (${sizes.fill}) for a receive-only socket (txSize: 0): it transmits nothing`
    : transmitOnly
      ? `expected an integer from 1 up to ${max} for a transmit-only socket (rxSize: 0): every frame transmits`
      : `expected an integer from fillSize + 1 (${min}) up to ${max}: fillSize frames receive, at least one must be left to transmit (txSize: 0 makes a receive-only socket)`;
  throw new BpfArgumentError('frameCount', `${expected}, got ${shown(frameCount)}`);
}

/**
 * Checks every option of {@link XskSocket.open} without a system call, naming the option that
 * is wrong (`BpfArgumentError`), and fills in the defaults. The interface name itself is
 * checked when it is resolved.
 * @internal
 */
export function checkXskOptions(o: XskSocketOptions): XskSettings {
  if (typeof o !== 'object' || o === null)
    throw new BpfArgumentError('options', `expected an object, got ${shown(o)}`);
  if (typeof o.interface !== 'string' && typeof o.interface !== 'number') {
    throw new BpfArgumentError('interface', `expected a name or an ifindex, got ${shown(o.interface)}`);
  }
  const queueId = integer(o.queueId ?? 0, 'queueId', 0, 0xffffffff);
  const frameSize = powerOfTwo(o.frameSize ?? 4096, 'frameSize', XDP_UMEM_MIN_CHUNK_SIZE, pageSize());
  const fillSize = powerOfTwo(o.fillSize ?? 2048, 'fillSize', 1, RING_MAX);
  const sizes = {
    fill: fillSize,
    completion: powerOfTwo(o.completionSize ?? 2048, 'completionSize', 1, RING_MAX),
    rx: o.rxSize === 0 ? 0 : powerOfTwo(o.rxSize ?? 2048, 'rxSize', 0, RING_MAX),
    tx: o.txSize === 0 ? 0 : powerOfTwo(o.txSize ?? 2048, 'txSize', 0, RING_MAX),
  };
  if (sizes.rx === 0 && sizes.tx === 0) {
    throw new BpfArgumentError(
      'rxSize',
      'rxSize and txSize are both 0: a socket needs an RX ring or a TX ring (the kernel binds none without)',
    );
  }
  const frameCount = checkFrameCount(o.frameCount, sizes);
  const headroom = integer(o.headroom ?? 0, 'headroom', 0, xdpMaxHeadroom(frameSize));
  const mode = o.mode ?? 'auto';
  if (typeof mode !== 'string' || !Object.hasOwn(MODE_FLAG, mode)) {
    throw new BpfArgumentError('mode', `expected 'copy', 'zerocopy' or 'auto', got ${shown(mode)}`);
  }
  const needWakeup = o.needWakeup ?? true;
  if (typeof needWakeup !== 'boolean') {
    throw new BpfArgumentError('needWakeup', `expected true or false, got ${shown(needWakeup)}`);
  }
  const bindFlags = MODE_FLAG[mode] | (needWakeup ? XdpBindFlag.USE_NEED_WAKEUP : 0);
  const txMetadataLen =
    o.txMetadataLen === undefined ? 0 : checkTxMetadataLen(o.txMetadataLen, 'txMetadataLen');
  if (txMetadataLen > 0 && sizes.tx === 0) {
    throw new BpfArgumentError(
      'txMetadataLen',
      'a receive-only socket (txSize: 0) transmits no frame to carry TX metadata: give a txSize, or leave txMetadataLen out',
    );
  }
  const umemFlags = checkSoftwareChecksum(o.softwareChecksum, mode, txMetadataLen);
  return { queueId, frameSize, frameCount, headroom, sizes, bindFlags, needWakeup, txMetadataLen, umemFlags };
}

/**
 * `softwareChecksum`: `XdpUmemFlag.TX_SW_CSUM` when true; the kernel acts on it only in copy
 * mode and only for frames with TX metadata, so it needs `mode: 'copy'` and a `txMetadataLen`.
 */
function checkSoftwareChecksum(value: unknown, mode: XskMode, txMetadataLen: number): number {
  const on = value ?? false;
  if (typeof on !== 'boolean')
    throw new BpfArgumentError('softwareChecksum', `expected true or false, got ${shown(on)}`);
  if (!on) return 0;
  if (mode !== 'copy') {
    throw new BpfArgumentError(
      'softwareChecksum',
      `the kernel computes TX checksums in software only in copy mode, and mode is ${shown(mode)}: give mode: 'copy' ` +
        '(in zero-copy mode the device computes them, when its netdev xsk-features has tx-checksum)',
    );
  }
  if (txMetadataLen === 0) {
    throw new BpfArgumentError(
      'softwareChecksum',
      'the kernel computes the checksums that frames ask for in their TX metadata, and this socket has none: give a txMetadataLen too',
    );
  }
  return XdpUmemFlag.TX_SW_CSUM;
}
