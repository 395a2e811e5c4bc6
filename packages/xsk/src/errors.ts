import { EbpfError } from '@ts-ebpf/uapi';

/**
 * Binding an AF_XDP socket failed with EBUSY: the interface queue already has a socket bound
 * (or a UMEM registered) — possibly one closed moments ago, which the kernel releases in the
 * background after an RCU grace period. The error names the interface and queue and wraps the
 * kernel's error as `cause`.
 */
export class XskQueueBusyError extends EbpfError {
  /** The interface index. */
  readonly ifindex: number;
  /** The queue. */
  readonly queueId: number;

  /**
   * @param iface - the interface as the caller named it
   * @param ifindex - its index
   * @param queueId - the queue
   * @param options - `cause`: the kernel's EBUSY error
   */
  constructor(iface: string | number, ifindex: number, queueId: number, options?: ErrorOptions) {
    super(
      `queue ${queueId} of interface ${typeof iface === 'string' ? `'${iface}' (ifindex ${ifindex})` : `ifindex ${ifindex}`} is busy: ` +
        'another AF_XDP socket is bound to it, or one closed moments ago is still being released by the kernel (retry shortly)',
      options,
    );
    this.name = 'XskQueueBusyError';
    this.ifindex = ifindex;
    this.queueId = queueId;
  }
}
