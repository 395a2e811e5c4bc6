/**
 * AF_XDP TX metadata (Linux 6.8; Documentation/networking/xsk-tx-metadata.rst): the
 * `struct xsk_tx_metadata` a TX frame carries in the `tx_metadata_len` bytes right before its
 * descriptor's address when the descriptor has the `XdpDescOption.TX_METADATA` option. Every
 * rule the kernel applies to it (`xsk_skb_metadata()` in net/xdp/xsk.c,
 * `xsk_buff_valid_tx_metadata()` in include/net/xdp_sock_drv.h) is checked here before the
 * frame is queued: a TX descriptor the kernel refuses stays at the head of the ring, and every
 * later wake-up answers the same EINVAL.
 */
import { closestName, HOST_LITTLE_ENDIAN, XdpTxMetadataFlag } from '@ts-ebpf/uapi';
import { checkTxMetadataLen } from './af-xdp-umem.js';
import { BpfArgumentError } from './errors.js';

/**
 * Byte offsets of `struct xsk_tx_metadata` (linux/if_xdp.h, Linux 6.15 and later: 24 bytes), by
 * C member path, with `SIZE` its size. `request` and `completion` are the two members of one
 * union: the kernel reads the request when it sends the frame and writes the completion (over
 * the request's bytes) when the frame is sent. test/af-xdp.test.ts checks them against the
 * running kernel's BTF.
 */
export const XSK_TX_METADATA_LAYOUT = Object.freeze({
  flags: 0,
  'request.csum_start': 8,
  'request.csum_offset': 10,
  'request.launch_time': 16,
  'completion.tx_timestamp': 8,
  SIZE: 24,
} as const);

/** What one TX frame asks of the kernel and the device: the offloads of `struct xsk_tx_metadata`. */
export interface XskTxMetadataRequest {
  /**
   * `XDP_TXMD_FLAGS_CHECKSUM`: the L4 checksum is computed over the frame's bytes from `start`
   * to its end and stored, as a 16-bit ones'-complement checksum, at `start + offset`. The sum
   * starts from what the frame holds there: as for any `CHECKSUM_PARTIAL` packet, put the
   * ones'-complement sum of the pseudo-header there (not complemented; IPv4: addresses,
   * protocol and L4 length) to get a valid UDP or TCP checksum; a zero there gives the sum of
   * the L4 bytes alone. `start` is counted from the frame's first byte (the Ethernet header),
   * `offset` from `start` (6 for UDP, 16 for TCP); the two-byte checksum must lie inside the
   * frame. Who computes it: in copy mode the kernel in software when the UMEM has
   * `XdpUmemFlag.TX_SW_CSUM`, else the device or the kernel's transmit path (a virtual device
   * such as veth hands the packet on with the checksum still to do); in zero-copy mode the
   * device, when its netdev `xsk-features` has `tx-checksum`.
   */
  readonly checksum?: { readonly start: number; readonly offset: number };
  /**
   * `XDP_TXMD_FLAGS_TIMESTAMP`: when the frame has been sent, its transmit time is written to
   * `completion.tx_timestamp` (read it with {@link xskTxTimestamp} once the frame's address is
   * back in the completion ring). Copy mode: a software timestamp, `CLOCK_TAI` nanoseconds, taken
   * when the kernel frees the packet after the device took it. Zero-copy mode: the device's,
   * when its `xsk-features` has `tx-timestamp`.
   */
  readonly timestamp?: boolean;
  /**
   * `XDP_TXMD_FLAGS_LAUNCH_TIME` (Linux 6.15): the time, in nanoseconds of the device's PTP
   * clock, at which the device is to send the frame. Only devices with launch-time offload
   * enabled on the queue act on it (`xsk-features` `tx-launch-time-fifo`); others send at once.
   * Needs a TX metadata area of at least 24 bytes.
   */
  readonly launchTime?: bigint;
}

const REQUEST_KEYS = ['checksum', 'timestamp', 'launchTime'] as const;
const U64_MAX = (1n << 64n) - 1n;
const CSUM_BYTES = 2;

/**
 * Checks a TX metadata request for a frame of `frameLength` bytes whose metadata area has
 * `areaLength` bytes (the UMEM's `txMetadataLen`), as the kernel would, without writing it.
 * @param name - how messages name the request (`'metadata'`)
 * @returns the `XdpTxMetadataFlag` bits the request sets (never 0)
 * @throws BpfArgumentError naming the member: an unknown member (the kernel refuses flags it
 *   does not know), a checksum that does not lie inside the frame or does not fit its 16-bit
 *   fields, a launch time that is no u64 or has no room in the area, or a request that asks for
 *   nothing
 */
export function xskTxMetadataFlags(
  request: XskTxMetadataRequest,
  frameLength: number,
  areaLength: number,
  name = 'metadata',
): number {
  if (typeof request !== 'object' || request === null)
    throw new BpfArgumentError(name, `expected an object, got ${String(request)}`);
  for (const key of Object.keys(request)) {
    if ((REQUEST_KEYS as readonly string[]).includes(key)) continue;
    const near = closestName(key, REQUEST_KEYS);
    throw new BpfArgumentError(
      `${name}.${key}`,
      `no such TX metadata request${near ? ` (did you mean ${near}?)` : ''}: struct xsk_tx_metadata asks for a checksum, a timestamp or a launch time, and the kernel refuses a frame with any other flag`,
    );
  }
  checkTxMetadataLen(areaLength, 'TX metadata area');
  let flags = 0;
  const { checksum, timestamp, launchTime } = request;
  if (checksum !== undefined) {
    checkChecksum(checksum, frameLength, `${name}.checksum`);
    flags |= XdpTxMetadataFlag.CHECKSUM;
  }
  if (timestamp !== undefined) {
    if (typeof timestamp !== 'boolean')
      throw new BpfArgumentError(`${name}.timestamp`, `expected true or false, got ${String(timestamp)}`);
    if (timestamp) flags |= XdpTxMetadataFlag.TIMESTAMP;
  }
  if (launchTime !== undefined) {
    if (typeof launchTime !== 'bigint' || launchTime < 0n || launchTime > U64_MAX)
      throw new BpfArgumentError(
        `${name}.launchTime`,
        `expected a u64 bigint (nanoseconds), got ${String(launchTime)}`,
      );
    if (areaLength < XSK_TX_METADATA_LAYOUT.SIZE) {
      throw new BpfArgumentError(
        `${name}.launchTime`,
        `the TX metadata area has ${areaLength} bytes, and request.launch_time ends at byte ${XSK_TX_METADATA_LAYOUT.SIZE} of struct xsk_tx_metadata: ` +
          `the kernel would read it from the frame itself; give a txMetadataLen of at least ${XSK_TX_METADATA_LAYOUT.SIZE}`,
      );
    }
    flags |= XdpTxMetadataFlag.LAUNCH_TIME;
  }
  if (flags === 0)
    throw new BpfArgumentError(
      name,
      'asks for nothing (no checksum, timestamp or launchTime): send the frame without metadata',
    );
  return flags;
}

function checkChecksum(checksum: XskTxMetadataRequest['checksum'], frameLength: number, name: string): void {
  if (typeof checksum !== 'object' || checksum === null)
    throw new BpfArgumentError(name, `expected { start, offset }, got ${String(checksum)}`);
  const { start, offset } = checksum;
  for (const [member, value] of [
    ['start', start],
    ['offset', offset],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff)
      throw new BpfArgumentError(
        `${name}.${member}`,
        `expected an integer from 0 to 65535 (a u16 of struct xsk_tx_metadata), got ${String(value)}`,
      );
  }
  if (start + offset + CSUM_BYTES > frameLength) {
    throw new BpfArgumentError(
      name,
      `the checksum at start ${start} + offset ${offset} (2 bytes) ends at byte ${start + offset + CSUM_BYTES}, past the ${frameLength}-byte frame: ` +
        'the kernel refuses a checksum outside the frame (csum_start + csum_offset + 2 must not pass its length)',
    );
  }
}

/**
 * Writes a TX metadata request into `area`, the `tx_metadata_len` bytes right before a TX
 * frame of `frameLength` bytes in the UMEM (checked first, see {@link xskTxMetadataFlags}): the
 * whole area is zeroed, then `flags` and the request's fields are written in host byte order.
 * The frame's descriptor must then carry `XdpDescOption.TX_METADATA`.
 * @returns the `XdpTxMetadataFlag` bits written
 */
export function writeXskTxMetadata(
  area: Uint8Array,
  request: XskTxMetadataRequest,
  frameLength: number,
): number {
  const flags = xskTxMetadataFlags(request, frameLength, area.byteLength);
  const L = XSK_TX_METADATA_LAYOUT;
  area.fill(0);
  const v = new DataView(area.buffer, area.byteOffset, area.byteLength);
  v.setBigUint64(L.flags, BigInt(flags), HOST_LITTLE_ENDIAN);
  if (request.checksum) {
    v.setUint16(L['request.csum_start'], request.checksum.start, HOST_LITTLE_ENDIAN);
    v.setUint16(L['request.csum_offset'], request.checksum.offset, HOST_LITTLE_ENDIAN);
  }
  if (request.launchTime !== undefined)
    v.setBigUint64(L['request.launch_time'], request.launchTime, HOST_LITTLE_ENDIAN);
  return flags;
}

/**
 * `completion.tx_timestamp` of the TX metadata in `area` (see {@link writeXskTxMetadata}): the
 * transmit time the kernel or the device wrote once the frame was sent, when the request asked
 * for a timestamp. Read it only after the frame's address came back in the completion ring; a
 * device that does not timestamp leaves the request's bytes there.
 */
export function xskTxTimestamp(area: Uint8Array): bigint {
  return new DataView(area.buffer, area.byteOffset, area.byteLength).getBigUint64(
    XSK_TX_METADATA_LAYOUT['completion.tx_timestamp'],
    HOST_LITTLE_ENDIAN,
  );
}
