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

/**
 * `transmit()` was given a TX metadata request (a checksum, a timestamp, a launch time) on an
 * AF_XDP socket opened without `txMetadataLen`: its UMEM keeps no metadata area before the
 * frames, and the kernel refuses (EINVAL) a frame that says it carries metadata there.
 */
export class XskNoTxMetadataError extends XskSocketError {
  /**
   * @param call - the call (`'transmit()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   */
  constructor(call: string, ifindex: number, queueId: number) {
    super(
      `${onSocket(call, ifindex, queueId)} asks for TX metadata, but the socket was opened without txMetadataLen: ` +
        'its UMEM has no metadata area before the frames (the kernel refuses such a frame); open it with txMetadataLen (24 holds every request)',
      ifindex,
      queueId,
    );
    this.name = 'XskNoTxMetadataError';
  }
}

/** The TX descriptor the kernel refused: the one at the head of the TX ring. */
export interface XskRefusedDescriptor {
  /** Its index in the TX ring (free-running). */
  readonly index: number;
  /** The frame's UMEM address. */
  readonly address: number;
  /** The frame's length in bytes. */
  readonly length: number;
  /** Its `XdpDescOption` bits (`TX_METADATA` when it carries TX metadata). */
  readonly options: number;
}

/**
 * The kernel refused a TX wake-up with EINVAL: it could not build a packet from the descriptor
 * at the head of the TX ring. That descriptor stays there (the kernel leaves it for the
 * application to retry), so every later wake-up is refused the same way and no frame behind it
 * leaves: close the socket. Everything this package can check is checked before a frame is
 * queued; what is left is the kernel's to decide: TX metadata it cannot act on in copy mode (a
 * flag it does not know, such as `LAUNCH_TIME` before Linux 6.15, or a software checksum
 * (`TX_SW_CSUM`) it cannot compute in a device's packet layout), or a driver's refusal in
 * zero-copy mode. `cause` is the kernel's error.
 */
export class XskTransmitRefusedError extends XskSocketError {
  /** The descriptor at the head of the TX ring when the kernel refused. */
  readonly descriptor: XskRefusedDescriptor;

  /**
   * @param call - the call whose wake-up was refused (`'flush()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   * @param descriptor - the descriptor at the head of the TX ring
   * @param metadataFlags - the `XdpTxMetadataFlag` bits of its TX metadata, when it carries some
   * @param options - `cause`: the kernel's EINVAL
   */
  constructor(
    call: string,
    ifindex: number,
    queueId: number,
    descriptor: XskRefusedDescriptor,
    metadataFlags: number | undefined,
    options?: ErrorOptions,
  ) {
    const frame = `the ${descriptor.length}-byte frame at UMEM address ${descriptor.address} (TX ring index ${descriptor.index})`;
    const why =
      metadataFlags === undefined
        ? `it refused ${frame}`
        : `it refused the TX metadata of ${frame} (flags 0x${metadataFlags.toString(16)}): in copy mode the kernel refuses a flag it does not know ` +
          '(LAUNCH_TIME before Linux 6.15) and a software checksum (TX_SW_CSUM) it cannot compute in the packet the device wants (one without a linear part)';
    super(
      `${onSocket(call, ifindex, queueId)}: the kernel refused to send (sendto: EINVAL): ${why}. ` +
        'The frame stays at the head of the TX ring and every later wake-up is refused the same way, so nothing behind it is sent: close the socket',
      ifindex,
      queueId,
      options,
    );
    this.name = 'XskTransmitRefusedError';
    this.descriptor = descriptor;
  }
}

/**
 * `transmit()` asked, on a socket bound in zero-copy mode, for TX metadata offloads its device
 * does not act on: there the kernel hands the metadata to the driver, which ignores what it
 * cannot do (no checksum written, a timestamp left unset, no launch time kept). The device's
 * offloads are the `xsk-features` of the `netdev` netlink family (`interfaceXskFeatures` of
 * `@ts-ebpf/programs`). In copy mode the kernel builds an ordinary packet and acts on every
 * request itself.
 */
export class XskTxOffloadError extends XskSocketError {
  /** The requests the device does not act on, each as `member (xsk-feature)`. */
  readonly missing: readonly string[];

  /**
   * @param call - the call (`'transmit()'`)
   * @param ifindex - the socket's interface index
   * @param queueId - its queue
   * @param missing - the requests the device lacks, as `member (xsk-feature)`
   */
  constructor(call: string, ifindex: number, queueId: number, missing: readonly string[]) {
    super(
      `${onSocket(call, ifindex, queueId)} asks for TX metadata the device does not act on in zero-copy mode: ` +
        `${missing.join(', ')} missing from the xsk-features of ifindex ${ifindex}, so the driver would ignore it; ` +
        "leave it out, or open the socket with mode: 'copy' (and softwareChecksum for a checksum)",
      ifindex,
      queueId,
    );
    this.name = 'XskTxOffloadError';
    this.missing = missing;
  }
}
