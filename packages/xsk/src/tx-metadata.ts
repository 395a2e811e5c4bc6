import { BpfArgumentError, type XskTxMetadataRequest } from '@ts-ebpf/syscall';
import { NetdevXskFlag, XdpTxMetadataFlag } from '@ts-ebpf/uapi';

/**
 * What one frame given to {@link XskSocket.transmit} asks of the kernel and the device: the
 * offloads of `struct xsk_tx_metadata` (Linux 6.8), which the socket writes into the frame's
 * TX metadata area (see `txMetadataLen` of {@link XskSocketOptions}) and flags on its
 * descriptor (`XdpDescOption.TX_METADATA`). Give at least one.
 */
export interface XskTxMetadata {
  /**
   * `XDP_TXMD_FLAGS_CHECKSUM`: store the L4 checksum computed from byte `start` of the frame
   * (its first byte is the Ethernet header's) to its end at `start + offset` (6 for UDP, 16 for
   * TCP); the two bytes must lie inside the frame. The sum starts from what the frame holds
   * there: write the ones'-complement sum of the pseudo-header there (not complemented), as
   * for any packet whose checksum is left to the device, for a valid UDP or TCP checksum; a
   * zero there yields the sum of the L4 bytes alone. Computed by the kernel in copy mode with
   * `softwareChecksum`; otherwise by the device (zero-copy: when its netdev `xsk-features` has
   * `tx-checksum`) or, in copy mode, by the kernel's transmit path for a device without
   * checksum offload; a virtual device such as veth hands the packet on with the checksum
   * still to do.
   */
  readonly checksum?: { readonly start: number; readonly offset: number };
  /**
   * `XDP_TXMD_FLAGS_TIMESTAMP`: called from {@link XskSocket.completions} with the frame's
   * transmit time once the kernel reports it sent. Copy mode: a software timestamp in
   * nanoseconds of `CLOCK_TAI`, taken when the kernel frees the packet the device took.
   * Zero-copy mode: the device's own, when its `xsk-features` has `tx-timestamp` (else
   * `transmit()` refuses the request with `XskTxOffloadError`).
   */
  readonly timestamp?: (nanoseconds: bigint) => void;
  /**
   * `XDP_TXMD_FLAGS_LAUNCH_TIME` (Linux 6.15): nanoseconds of the device's PTP clock at which
   * it is to send the frame; only a device with launch-time offload enabled on the queue
   * (`xsk-features` `tx-launch-time-fifo`) waits, others send at once. Needs a `txMetadataLen`
   * of at least 24.
   */
  readonly launchTime?: bigint;
}

/**
 * The raw request of `metadata` (its `timestamp` callback becomes `timestamp: true`, unknown
 * members stay for the check to name), with the callback checked; the rest is checked by `xskTxMetadataFlags` of `@ts-ebpf/syscall`.
 * @internal
 */
export function txMetadataRequest(metadata: XskTxMetadata): XskTxMetadataRequest {
  if (typeof metadata !== 'object' || metadata === null)
    throw new BpfArgumentError('metadata', `expected an object, got ${String(metadata)}`);
  const { timestamp } = metadata;
  if (timestamp !== undefined && typeof timestamp !== 'function') {
    throw new BpfArgumentError(
      'metadata.timestamp',
      `expected a function called with the transmit time, got ${String(timestamp)}`,
    );
  }
  return { ...metadata, timestamp: timestamp !== undefined };
}

/** Each TX metadata request and the `xsk-features` bit a device needs to act on it in zero-copy mode. */
const OFFLOADS = [
  [XdpTxMetadataFlag.CHECKSUM, NetdevXskFlag.TX_CHECKSUM, 'checksum (tx-checksum)'],
  [XdpTxMetadataFlag.TIMESTAMP, NetdevXskFlag.TX_TIMESTAMP, 'timestamp (tx-timestamp)'],
  [XdpTxMetadataFlag.LAUNCH_TIME, NetdevXskFlag.TX_LAUNCH_TIME_FIFO, 'launchTime (tx-launch-time-fifo)'],
] as const;

/**
 * The requests among `flags` (`XdpTxMetadataFlag` bits) that a device whose `xsk-features` are
 * `features` (`NetdevXskFlag` bits) does not act on in zero-copy mode, each as `member
 * (feature)`: the kernel hands TX metadata to the driver there, and a driver without the
 * feature ignores the request.
 * @internal
 */
export function offloadsMissing(flags: number, features: number): string[] {
  return OFFLOADS.filter(([flag, feature]) => (flags & flag) !== 0 && (features & feature) === 0).map(
    ([, , name]) => name,
  );
}
