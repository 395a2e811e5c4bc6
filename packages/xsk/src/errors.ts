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

/** How messages name an interface: `'eth0' (ifindex 2)`, or `ifindex 2` when given by index. */
const interfaceText = (iface: string | number, ifindex: number): string =>
  typeof iface === 'string' ? `'${iface}' (ifindex ${ifindex})` : `ifindex ${ifindex}`;

/** The queue counts an {@link XskQueueRangeError} was decided on. */
export interface XskQueueCounts {
  /** RX queues. */
  readonly rx: number;
  /** TX queues. */
  readonly tx: number;
  /**
   * `'in-use'`: the queues the interface uses (the kernel's `real_num_rx_queues` and
   * `real_num_tx_queues`, which it lists for an interface that is up); `'allocated'`: the most it
   * can use (the in-use counts were not listed).
   */
  readonly counted: 'in-use' | 'allocated';
}

/**
 * The queue id is not below the interface's queues. The kernel binds an AF_XDP socket only to
 * a queue below the larger of its RX and TX queue counts in use (net/xdp/xsk.c,
 * `xsk_reg_pool_at_qid()`), and answers EINVAL otherwise; it keeps the id in 16 bits there, so
 * an id from 65536 up would be bound to another queue. Found before the socket is made from
 * the interface's queue counts (`interfaceQueues` of `@ts-ebpf/programs`), or after the kernel's
 * EINVAL at bind (its `cause`) when the interface does not list the queues it uses (it is
 * down): the message names the interface, the queue and the counts.
 */
export class XskQueueRangeError extends XskSocketError {
  /** The interface's RX queues, as counted. */
  readonly rxQueues: number;
  /** Its TX queues, as counted. */
  readonly txQueues: number;
  /** Whether the counts are the queues in use or the queues allocated. */
  readonly counted: 'in-use' | 'allocated';

  /**
   * @param iface - the interface as the caller named it
   * @param ifindex - its index
   * @param queueId - the queue asked for
   * @param counts - the interface's queue counts
   * @param options - `cause`: the kernel's EINVAL, when the kernel refused the bind
   */
  constructor(
    iface: string | number,
    ifindex: number,
    queueId: number,
    counts: XskQueueCounts,
    options?: ErrorOptions,
  ) {
    const limit = Math.max(counts.rx, counts.tx);
    const queues = `${counts.rx} RX and ${counts.tx} TX queues`;
    const rule = 'an AF_XDP socket binds only to a queue below the larger count';
    const reason =
      counts.counted === 'in-use'
        ? `it has ${queues} in use, and ${rule} (0 to ${limit - 1})`
        : queueId >= limit
          ? `it has ${queues} allocated (possibly fewer in use), and ${rule} in use`
          : `the kernel refused it (bind: EINVAL): it has ${queues} allocated but uses fewer, and ${rule} in use ` +
            '(`ethtool -l` shows them; the kernel lists the queues in use only while the interface is up)';
    super(
      `queue ${queueId} of interface ${interfaceText(iface, ifindex)} is out of range: ${reason}`,
      ifindex,
      queueId,
      options,
    );
    this.name = 'XskQueueRangeError';
    this.rxQueues = counts.rx;
    this.txQueues = counts.tx;
    this.counted = counts.counted;
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
      `queue ${queueId} of interface ${interfaceText(iface, ifindex)} is busy: ` +
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

/** The way a one-way socket was opened, and what a call it cannot serve is told. */
const ONE_WAY = {
  'receive-only':
    'opened receive-only (txSize: 0) and has no TX ring; open it with a txSize and a frameCount above fillSize to transmit',
  'transmit-only': 'opened transmit-only (rxSize: 0) and has no RX ring; open it with an rxSize to receive',
} as const;

/** The message of a call on a socket opened one way only, which it cannot serve. */
const oneWay = (call: string, ifindex: number, queueId: number, way: keyof typeof ONE_WAY) =>
  `${onSocket(call, ifindex, queueId)}: it was ${ONE_WAY[way]}`;

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
    super(oneWay(call, ifindex, queueId, 'receive-only'), ifindex, queueId);
    this.name = 'XskReceiveOnlyError';
  }
}

/**
 * A receive call (`receive()`, `receiveEach()`, `batches()`) on an AF_XDP socket opened
 * transmit-only (`rxSize: 0`): it has no RX ring and hands no frame to the kernel to receive into.
 */
export class XskTransmitOnlyError extends XskSocketError {
  /**
   * @param call - the call (`'receive()'`, `'receiveEach()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   */
  constructor(call: string, ifindex: number, queueId: number) {
    super(oneWay(call, ifindex, queueId, 'transmit-only'), ifindex, queueId);
    this.name = 'XskTransmitOnlyError';
  }
}
