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

/**
 * `receive()` or `receiveEach()` was called from inside a `receiveEach()` visitor on the same
 * socket. The frames of the running batch have not been given back to the kernel yet (that
 * happens when the batch ends), so a nested receive would hand the same frames out again and
 * return their addresses to the fill ring twice. Receive again after the visitor returned;
 * `transmit()`, `completions()` and `flush()` are fine inside a visitor.
 */
export class XskReentrantReceiveError extends EbpfError {
  /** The interface index of the socket. */
  readonly ifindex: number;
  /** Its queue. */
  readonly queueId: number;

  /**
   * @param call - the nested call (`'receive()'`, `'receiveEach()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   */
  constructor(call: string, ifindex: number, queueId: number) {
    super(
      `${call} on the AF_XDP socket of ifindex ${ifindex} queue ${queueId} was called inside a receiveEach() visitor of the same socket: ` +
        'the frames of the running batch are not back in the fill ring yet, so they would be handed out twice; receive again once the visitor returned',
    );
    this.name = 'XskReentrantReceiveError';
    this.ifindex = ifindex;
    this.queueId = queueId;
  }
}

/**
 * A transmit call (`transmit()`, `flush()`) on an AF_XDP socket opened receive-only
 * (`txSize: 0`): it has no TX ring and no frame to transmit from.
 */
export class XskReceiveOnlyError extends EbpfError {
  /** The interface index of the socket. */
  readonly ifindex: number;
  /** Its queue. */
  readonly queueId: number;

  /**
   * @param call - the call (`'transmit()'`, `'flush()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   */
  constructor(call: string, ifindex: number, queueId: number) {
    super(
      `${call} on the AF_XDP socket of ifindex ${ifindex} queue ${queueId}: it was opened receive-only (txSize: 0) and has no TX ring; ` +
        'open it with a txSize and a frameCount above fillSize to transmit',
    );
    this.name = 'XskReceiveOnlyError';
    this.ifindex = ifindex;
    this.queueId = queueId;
  }
}
