import { EbpfError } from '@ts-ebpf/uapi';

/** An error about one AF_XDP socket: it names the socket's interface index and queue. */
export abstract class XskSocketError extends EbpfError {
  /** The interface index. */
  readonly ifindex: number;
  /** The queue. */
  readonly queueId: number;

  /**
   * @param message - what went wrong, naming the interface and queue
   * @param ifindex - the interface index
   * @param queueId - the queue
   * @param options - `cause`: the error this one wraps
   */
  protected constructor(message: string, ifindex: number, queueId: number, options?: ErrorOptions) {
    super(message, options);
    this.ifindex = ifindex;
    this.queueId = queueId;
  }
}

/**
 * Binding an AF_XDP socket failed with EBUSY: the interface queue already has a socket bound
 * (or a UMEM registered) — possibly one closed moments ago, which the kernel releases in the
 * background after an RCU grace period. The error names the interface and queue and wraps the
 * kernel's error as `cause`.
 */
export class XskQueueBusyError extends XskSocketError {
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
      ifindex,
      queueId,
      options,
    );
    this.name = 'XskQueueBusyError';
  }
}

/** `${call} on the AF_XDP socket of ifindex … queue …`: the start of a socket misuse message. */
const onSocket = (call: string, ifindex: number, queueId: number) =>
  `${call} on the AF_XDP socket of ifindex ${ifindex} queue ${queueId}`;

/**
 * `receive()` or `receiveEach()` was called from inside a `receiveEach()` visitor on the same
 * socket. The frames of the running batch have not been given back to the kernel yet (that
 * happens when the batch ends), so a nested receive would hand the same frames out again and
 * return their addresses to the fill ring twice. Receive again after the visitor returned;
 * `transmit()`, `completions()` and `flush()` are fine inside a visitor.
 */
export class XskReentrantReceiveError extends XskSocketError {
  /**
   * @param call - the nested call (`'receive()'`, `'receiveEach()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   */
  constructor(call: string, ifindex: number, queueId: number) {
    super(
      `${onSocket(call, ifindex, queueId)} was called inside a receiveEach() visitor of the same socket: ` +
        'the frames of the running batch are not back in the fill ring yet, so they would be handed out twice; receive again once the visitor returned',
      ifindex,
      queueId,
    );
    this.name = 'XskReentrantReceiveError';
  }
}

/**
 * A transmit call (`transmit()`, `flush()`) on an AF_XDP socket opened receive-only
 * (`txSize: 0`): it has no TX ring and no frame to transmit from.
 */
export class XskReceiveOnlyError extends XskSocketError {
  /**
   * @param call - the call (`'transmit()'`, `'flush()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   */
  constructor(call: string, ifindex: number, queueId: number) {
    super(
      `${onSocket(call, ifindex, queueId)}: it was opened receive-only (txSize: 0) and has no TX ring; ` +
        'open it with a txSize and a frameCount above fillSize to transmit',
      ifindex,
      queueId,
    );
    this.name = 'XskReceiveOnlyError';
  }
}
