import { interfaceXskFeatures, ifindex as resolveIfindex } from '@ts-ebpf/programs';
import {
  BpfArgumentError,
  BpfSyscallError,
  MapFlag,
  MappedMemory,
  ObjectClosedError,
  OwnedFd,
  Prot,
  writeXskTxMetadata,
  type XdpStatistics,
  xdpBind,
  xdpMapRing,
  xdpMmapOffsets,
  xdpOptions,
  xdpRingEntrySize,
  xdpSetRingSize,
  xdpSocket,
  xdpStatistics,
  xdpUmemRegister,
  xdpWakeupRx,
  xdpWakeupTx,
  xskTxMetadataFlags,
  xskTxTimestamp,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN, XdpBindFlag, XdpDescOption, XdpOptionFlag } from '@ts-ebpf/uapi';
import {
  XskNoTxMetadataError,
  XskQueueBusyError,
  XskReceiveOnlyError,
  XskReentrantReceiveError,
  XskTransmitOnlyError,
  XskTransmitRefusedError,
  XskTxOffloadError,
} from './errors.js';
import { checkXskOptions, type XskBatchOptions, type XskRingKind, type XskSocketOptions } from './options.js';
import { bindRangeError, checkQueueRange } from './queue-range.js';
import { XskRing } from './ring.js';
import { offloadsMissing, txMetadataRequest, type XskTxMetadata } from './tx-metadata.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * An AF_XDP socket bound to one queue of an interface, with its UMEM (the packet memory shared
 * with the kernel) and its four rings mapped (three for a receive-only socket, `txSize: 0`, or
 * a transmit-only one, `rxSize: 0`): frames an XDP program redirects into an xskmap slot
 * holding {@link XskSocket.fd} arrive in {@link XskSocket.receive}; frames given to
 * {@link XskSocket.transmit} leave through the interface.
 *
 * The UMEM is cut in `frameCount` frames: `fillSize` of them are handed to the kernel for
 * receiving (each comes back through the fill ring as soon as a received frame has been
 * read; none on a transmit-only socket), the others (at least one; none on a receive-only
 * socket) wait in a free list for transmitting (each comes back when the kernel reports it
 * sent, through the completion ring).
 *
 * `close()` (or `using`) closes the socket and unmaps its memory; it is idempotent, and any
 * other call after it throws {@link ObjectClosedError}. Needs CAP_NET_RAW (and CAP_BPF /
 * CAP_NET_ADMIN for the XDP program that feeds it).
 */
export class XskSocket implements Disposable {
  /** The interface index the socket is bound to. */
  readonly ifindex: number;
  /** The interface queue the socket is bound to. */
  readonly queueId: number;
  /**
   * Bytes of one UMEM frame: the longest frame {@link XskSocket.transmit} takes, less
   * {@link XskSocket.txMetadataLen}.
   */
  readonly frameSize: number;
  /**
   * Bytes of TX metadata kept before each transmitted frame (`txMetadataLen` of the options);
   * 0 when the socket sends no TX metadata.
   */
  readonly txMetadataLen: number;
  readonly #fd: OwnedFd;
  readonly #umem: MappedMemory;
  readonly #bytes: Uint8Array;
  readonly #rings: readonly MappedMemory[];
  readonly #fill: XskRing;
  readonly #completion: XskRing;
  /** The RX ring; none on a transmit-only socket. */
  readonly #rx: XskRing | undefined;
  /** The TX ring; none on a receive-only socket. */
  readonly #tx: XskRing | undefined;
  readonly #needWakeup: boolean;
  /** Frames free for transmitting (their UMEM addresses). */
  readonly #txFree: number[] = [];
  #fillProducer = 0;
  #rxConsumer = 0;
  #txProducer = 0;
  #completionConsumer = 0;
  #inFlight = 0;
  /** True when the kernel refused the last TX wake-up: frames wait in the TX ring for another. */
  #kickPending = false;
  /** True while a batch's visitors run: its frames are not back in the fill ring yet. */
  #receiving = false;
  /**
   * The device's `xsk-features` (`NetdevXskFlag` bits) when the socket is bound in zero-copy
   * mode with TX metadata: the requests its driver acts on. Undefined in copy mode, where the
   * kernel acts on every request itself.
   */
  #zeroCopyOffloads: number | undefined;
  /** The timestamp callbacks of frames in flight, by their UMEM frame address. */
  readonly #timestampWanted = new Map<number, (nanoseconds: bigint) => void>();
  /** Timestamps of completed frames not yet handed to their callbacks. */
  readonly #timestampsDue: [callback: (nanoseconds: bigint) => void, nanoseconds: bigint][] = [];

  private constructor(o: XskSocketOptions) {
    const {
      frameSize,
      frameCount,
      sizes,
      headroom,
      bindFlags,
      queueId,
      needWakeup,
      txMetadataLen,
      umemFlags,
    } = checkXskOptions(o);
    this.ifindex = resolveIfindex(o.interface);
    checkQueueRange(o.interface, this.ifindex, queueId);
    this.queueId = queueId;
    this.frameSize = frameSize;
    this.txMetadataLen = txMetadataLen;
    this.#needWakeup = needWakeup;
    const owned = new OwnedFd(xdpSocket(), 'AF_XDP socket');
    const fd = owned.fd;
    const mapped: MappedMemory[] = [];
    try {
      this.#umem = MappedMemory.map({
        length: frameCount * frameSize,
        prot: Prot.READ | Prot.WRITE,
        flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
      });
      mapped.push(this.#umem);
      xdpUmemRegister(fd, this.#umem, {
        chunkSize: frameSize,
        headroom,
        flags: umemFlags,
        ...(txMetadataLen > 0 ? { txMetadataLen } : {}),
      });
      const kinds = (['fill', 'completion', 'rx', 'tx'] as const).filter((kind) => sizes[kind] > 0);
      for (const kind of kinds) xdpSetRingSize(fd, kind, sizes[kind]);
      const offsets = xdpMmapOffsets(fd);
      const ring = (kind: XskRingKind): XskRing => {
        const memory = xdpMapRing(fd, kind, sizes[kind], offsets[kind]);
        mapped.push(memory);
        return new XskRing(memory, offsets[kind], sizes[kind], xdpRingEntrySize(kind));
      };
      this.#fill = ring('fill');
      this.#completion = ring('completion');
      this.#rx = sizes.rx > 0 ? ring('rx') : undefined;
      this.#tx = sizes.tx > 0 ? ring('tx') : undefined;
      this.#rings = mapped.slice(1);
      // Frames [0, receiving) receive: all go into the fill ring before bind; the rest transmit.
      // A transmit-only socket receives into none: its fill ring stays empty.
      const receiving = this.#rx ? sizes.fill : 0;
      for (let i = 0; i < receiving; i++) this.#fill.setAddress(i, i * frameSize);
      this.#fillProducer = receiving;
      this.#fill.publish(this.#fillProducer);
      for (let i = frameCount - 1; i >= receiving; i--) this.#txFree.push(i * frameSize);
      try {
        xdpBind(fd, { ifindex: this.ifindex, queueId, flags: bindFlags });
      } catch (e) {
        if (e instanceof BpfSyscallError && e.code === 'EBUSY') {
          throw new XskQueueBusyError(o.interface, this.ifindex, this.queueId, { cause: e });
        }
        if (e instanceof BpfSyscallError && e.code === 'EINVAL') {
          const zeroCopy = (bindFlags & XdpBindFlag.ZEROCOPY) !== 0;
          throw bindRangeError(o.interface, this.ifindex, queueId, zeroCopy, e) ?? e;
        }
        throw e;
      }
    } catch (e) {
      owned.close();
      for (const m of mapped) m.close();
      throw e;
    }
    this.#fd = owned;
    this.#bytes = this.#umem.bytes;
    if (txMetadataLen > 0 && this.zeroCopy) this.#zeroCopyOffloads = interfaceXskFeatures(this.ifindex) ?? 0;
  }

  /**
   * Creates the socket, its UMEM and rings, hands the receive frames to the kernel and binds
   * to `interface` / `queueId`. Bad options throw `BpfArgumentError` naming the option before
   * any system call (the interface lookup included); an unknown interface throws
   * `InterfaceNotFoundError`, a queue id beyond the interface's queues
   * `XskQueueRangeError` (before the socket is made where the interface's queue counts
   * tell), a headroom the kernel build has no room for `XdpUmemHeadroomError`, a queue with a
   * socket bound {@link XskQueueBusyError}, and other kernel refusals the errno's error
   * (`EOPNOTSUPP` for `'zerocopy'` on a driver without it).
   */
  static open(options: XskSocketOptions): XskSocket {
    return new XskSocket(options);
  }

  /** The socket's file descriptor: the value to store in an xskmap slot. */
  get fd(): number {
    return this.#fd.fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** True when the kernel bound the socket in zero-copy mode (`XDP_OPTIONS`). */
  get zeroCopy(): boolean {
    return (xdpOptions(this.fd) & XdpOptionFlag.ZEROCOPY) !== 0;
  }

  /** The kernel's drop counters of this socket (`XDP_STATISTICS`). */
  statistics(): XdpStatistics {
    return xdpStatistics(this.fd);
  }

  /**
   * The frames received since the last call (at most `max`), each copied out of the UMEM:
   * the copies are the caller's to keep. Each frame goes back to the kernel at once.
   * Does not block: an empty array when nothing has arrived. Retries a TX wake-up the kernel
   * refused before ({@link XskSocket.needsFlush}).
   * @param max - at most this many frames; default the RX ring's size
   * @throws XskReentrantReceiveError when called inside a {@link XskSocket.receiveEach} visitor
   *   of the same socket.
   * @throws XskTransmitOnlyError on a transmit-only socket (`rxSize: 0`).
   */
  receive(max?: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#consume('receive()', max, (addr, len) => {
      out.push(this.#bytes.slice(addr, addr + len));
    });
    return out;
  }

  /**
   * Calls `visit` for each frame received since the last call (at most `max`), with a view
   * into the UMEM instead of a copy. The view is valid only during the call: when `visit`
   * returns, the frame goes back to the kernel, which writes the next packet into it. Copy
   * what must outlive the call. The view is writable but changing it changes nothing sent.
   *
   * `visit` may call {@link XskSocket.transmit}, {@link XskSocket.completions} and
   * {@link XskSocket.flush} (they use the TX and completion rings only), but not
   * `receive()` or `receiveEach()` on the same socket: the frames of the running batch go
   * back to the kernel only when it ends, so a nested receive would hand them out twice.
   * If `visit` throws, its frame and the ones before it go back to the kernel, the others
   * stay for the next call, and the error propagates.
   * @param max - at most this many frames; default the RX ring's size
   * @returns the number of frames visited.
   * @throws XskReentrantReceiveError when called inside a visitor of the same socket.
   * @throws XskTransmitOnlyError on a transmit-only socket (`rxSize: 0`).
   */
  receiveEach(visit: (frame: Uint8Array, options: number) => void, max?: number): number {
    return this.#consume('receiveEach()', max, (addr, len, options) =>
      visit(this.#bytes.subarray(addr, addr + len), options),
    );
  }

  /**
   * Batches of received frames (copies) as they arrive, without blocking the event loop:
   * while the RX ring is empty its producer word is read every `intervalMs` on a timer (no
   * system call, no thread). Ends when `signal` aborts or the socket closes.
   * @throws XskTransmitOnlyError (at the first step) on a transmit-only socket (`rxSize: 0`).
   */
  async *batches(options: XskBatchOptions = {}): AsyncGenerator<Uint8Array[], void, undefined> {
    const interval = options.intervalMs ?? 1;
    if (!(interval >= 0)) throw new BpfArgumentError('intervalMs', `expected a number ≥ 0, got ${interval}`);
    while (!this.closed && !options.signal?.aborted) {
      const frames = this.receive(options.max);
      if (frames.length > 0) yield frames;
      else await sleep(interval);
    }
  }

  #consume(
    call: string,
    limit: number | undefined,
    visit: (addr: number, len: number, options: number) => void,
  ): number {
    this.#assertOpen();
    const rx = this.#rx;
    if (rx === undefined) throw new XskTransmitOnlyError(call, this.ifindex, this.queueId);
    if (this.#receiving) throw new XskReentrantReceiveError(call, this.ifindex, this.queueId);
    const max = limit ?? rx.size;
    if (!Number.isInteger(max) || max < 1)
      throw new BpfArgumentError('max', `expected an integer ≥ 1, got ${max}`);
    this.#retryKick();
    const start = this.#rxConsumer;
    const ready = (rx.producer - start) >>> 0;
    const n = Math.min(ready, max);
    if (n === 0) {
      if (this.#needWakeup && this.#fill.needsWakeup) xdpWakeupRx(this.#fd.fd);
      return 0;
    }
    let done = 0;
    this.#receiving = true;
    try {
      for (; done < n; done++) {
        const d = rx.descriptor(start + done);
        visit(d.addr, d.len, d.options);
      }
    } finally {
      // Frames visited (and the one whose visit threw) go back to the kernel.
      const returned = Math.min(n, done + 1);
      for (let i = 0; i < returned; i++) {
        const addr = rx.descriptor(start + i).addr;
        this.#fill.setAddress(this.#fillProducer + i, addr - (addr % this.frameSize));
      }
      this.#rxConsumer = (start + returned) >>> 0;
      rx.release(this.#rxConsumer);
      this.#fillProducer = (this.#fillProducer + returned) >>> 0;
      this.#fill.publish(this.#fillProducer);
      this.#receiving = false;
    }
    return done;
  }

  /**
   * Queues `frame` (a whole Ethernet frame, copied into a free UMEM frame) for sending and
   * wakes the kernel when it needs it (see {@link XskSocket.flush}).
   *
   * With `metadata` (a socket opened with `txMetadataLen`), the frame carries TX metadata: a
   * checksum to compute, a timestamp to take when it is sent, a launch time (see
   * {@link XskTxMetadata}). The request is checked as the kernel checks it before anything is
   * queued, since a frame the kernel refuses would stay at the head of the TX ring for good.
   *
   * When the kernel refuses the wake-up (the interface is down, the driver busy, or more
   * frames wait than one wake-up sends), the frame stays queued and
   * {@link XskSocket.needsFlush} turns true: {@link XskSocket.completions},
   * {@link XskSocket.receive}, {@link XskSocket.receiveEach}, {@link XskSocket.transmit} and
   * {@link XskSocket.flush} wake the kernel again until it accepts. So keep calling one of
   * them, as a loop that takes completions until {@link XskSocket.inFlight} is 0 does, and
   * the frame leaves once the interface can send it.
   * @returns true when the frame was queued; false when no transmit frame or TX ring entry
   *   is free (the kernel has not yet reported enough earlier frames sent): nothing was
   *   queued; call `completions()` and try again later.
   * @throws BpfArgumentError for an empty frame or one longer than `frameSize − txMetadataLen`,
   *   and for a bad `metadata` member, named (an unknown one, a checksum outside the frame, a
   *   launch time without room in the metadata area).
   * @throws XskNoTxMetadataError for `metadata` on a socket opened without `txMetadataLen`.
   * @throws XskTxOffloadError for `metadata` the device does not act on, on a socket bound in
   *   zero-copy mode (its `xsk-features`, read when the socket was opened).
   * @throws XskReceiveOnlyError on a receive-only socket (`txSize: 0`).
   * @throws XskTransmitRefusedError when the kernel refuses the frame at the head of the TX
   *   ring (see {@link XskSocket.flush}); this frame is queued all the same.
   */
  transmit(frame: Uint8Array, metadata?: XskTxMetadata): boolean {
    this.#assertOpen();
    if (!(frame instanceof Uint8Array)) throw new BpfArgumentError('frame', 'expected a Uint8Array');
    const room = this.frameSize - this.txMetadataLen;
    if (frame.byteLength === 0 || frame.byteLength > room) {
      const limit = this.txMetadataLen > 0 ? `frameSize − txMetadataLen (${room})` : `frameSize (${room})`;
      throw new BpfArgumentError('frame', `is ${frame.byteLength} bytes; expected 1 to ${limit}`);
    }
    const tx = this.#txRing('transmit()');
    const request = metadata === undefined ? undefined : txMetadataRequest(metadata);
    if (request !== undefined) {
      if (this.txMetadataLen === 0) throw new XskNoTxMetadataError('transmit()', this.ifindex, this.queueId);
      const flags = xskTxMetadataFlags(request, frame.byteLength, this.txMetadataLen);
      const missing =
        this.#zeroCopyOffloads === undefined ? [] : offloadsMissing(flags, this.#zeroCopyOffloads);
      if (missing.length > 0) throw new XskTxOffloadError('transmit()', this.ifindex, this.queueId, missing);
    }
    this.completions();
    const txFull = (this.#txProducer - tx.consumer) >>> 0 >= tx.size;
    const addr = txFull ? undefined : this.#txFree.pop();
    if (addr === undefined) return false;
    const data = addr + this.txMetadataLen;
    this.#bytes.set(frame, data);
    let options = 0;
    if (request !== undefined) {
      writeXskTxMetadata(this.#bytes.subarray(addr, data), request, frame.byteLength);
      options = XdpDescOption.TX_METADATA;
      if (metadata?.timestamp) this.#timestampWanted.set(addr, metadata.timestamp);
    }
    tx.setDescriptor(this.#txProducer, data, frame.byteLength, options);
    this.#txProducer = (this.#txProducer + 1) >>> 0;
    tx.publish(this.#txProducer);
    this.#inFlight++;
    this.flush();
    return true;
  }

  /**
   * Wakes the kernel to send what the TX ring holds (`sendto`), when it asked for it (or
   * always without `needWakeup`). {@link XskSocket.transmit} calls it.
   * @returns true when the kernel took the wake-up or needed none; false when it refused it
   *   (`ENETDOWN`: the interface is down; `EAGAIN`: it sent a batch and more frames wait, or the
   *   driver was busy; `EBUSY`, `ENOBUFS`): the frames stay queued, {@link XskSocket.needsFlush}
   *   is true, and the next `flush()`, `completions()`, `receive()` or `transmit()` tries again.
   * @throws XskReceiveOnlyError on a receive-only socket (`txSize: 0`).
   * @throws XskTransmitRefusedError when the kernel answers EINVAL: it cannot build a packet
   *   from the frame at the head of the TX ring (TX metadata it cannot act on …). That frame
   *   stays at the head, and every later wake-up is refused the same way.
   */
  flush(): boolean {
    this.#assertOpen();
    const tx = this.#txRing('flush()');
    this.#kickPending = !(this.#needWakeup && !tx.needsWakeup) && !this.#wakeTx(tx);
    return !this.#kickPending;
  }

  /** `xdpWakeupTx`, with the kernel's EINVAL explained by the descriptor it refused. */
  #wakeTx(tx: XskRing): boolean {
    try {
      return xdpWakeupTx(this.#fd.fd);
    } catch (e) {
      if (!(e instanceof BpfSyscallError) || e.code !== 'EINVAL') throw e;
      const index = tx.consumer;
      const d = tx.descriptor(index);
      const withMetadata = (d.options & XdpDescOption.TX_METADATA) !== 0 && d.addr >= this.txMetadataLen;
      const flags = withMetadata
        ? Number(
            new DataView(
              this.#bytes.buffer,
              this.#bytes.byteOffset + d.addr - this.txMetadataLen,
              8,
            ).getBigUint64(0, HOST_LITTLE_ENDIAN),
          )
        : undefined;
      throw new XskTransmitRefusedError(
        'TX wake-up',
        this.ifindex,
        this.queueId,
        { index, address: d.addr, length: d.len, options: d.options },
        flags,
        { cause: e },
      );
    }
  }

  /**
   * True when the kernel refused the last TX wake-up, so frames may wait in the TX ring
   * until the next one: {@link XskSocket.flush}, {@link XskSocket.completions},
   * {@link XskSocket.receive}, {@link XskSocket.receiveEach} and {@link XskSocket.transmit}
   * retry it (libxdp users kick the TX ring again while frames are outstanding; this is that).
   */
  get needsFlush(): boolean {
    return this.#kickPending;
  }

  #txRing(call: string): XskRing {
    if (this.#tx === undefined) throw new XskReceiveOnlyError(call, this.ifindex, this.queueId);
    return this.#tx;
  }

  #retryKick(): void {
    if (this.#kickPending) this.flush();
  }

  /**
   * Takes the frames the kernel reports sent (the completion ring) back into the transmit
   * free list, after waking the kernel again when it refused the last wake-up
   * ({@link XskSocket.needsFlush}), then calls the `timestamp` callback of each completed frame
   * that asked for one ({@link XskTxMetadata}), in completion order. A callback that throws
   * ends the call with its error once every frame is back in the free list; the callbacks
   * after it run at the next `completions()`.
   * @returns how many were completed by this call.
   */
  completions(): number {
    this.#assertOpen();
    this.#retryKick();
    const start = this.#completionConsumer;
    const n = (this.#completion.producer - start) >>> 0;
    for (let i = 0; i < n; i++) {
      const addr = this.#completion.address(start + i);
      const frame = addr - (addr % this.frameSize);
      this.#txFree.push(frame);
      const wanted = this.#timestampWanted.get(frame);
      if (wanted !== undefined) {
        this.#timestampWanted.delete(frame);
        this.#timestampsDue.push([
          wanted,
          xskTxTimestamp(this.#bytes.subarray(frame, frame + this.txMetadataLen)),
        ]);
      }
    }
    this.#completionConsumer = (start + n) >>> 0;
    this.#completion.release(this.#completionConsumer);
    this.#inFlight -= n;
    while (this.#timestampsDue.length > 0) {
      const [callback, nanoseconds] = this.#timestampsDue.shift()!;
      callback(nanoseconds);
    }
    return n;
  }

  /** Frames queued by {@link XskSocket.transmit} that the kernel has not yet reported sent. */
  get inFlight(): number {
    return this.#inFlight;
  }

  #assertOpen(): void {
    if (this.#fd.closed) throw new ObjectClosedError('AF_XDP socket');
  }

  /**
   * Closes the socket (the kernel drops it from every xskmap slot) and unmaps the rings and
   * the UMEM; views from {@link XskSocket.receiveEach} kept past their call read zeros after
   * this. Idempotent.
   */
  close(): void {
    if (this.#fd.closed) return;
    try {
      this.#fd.close();
    } finally {
      for (const m of this.#rings) m.close();
      this.#umem.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
