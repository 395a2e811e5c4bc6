import { Epoll, type OwnedFd, pageSize } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { EventIterator } from './event-iterator.js';
import {
  checkEventCodec,
  type DrainStop,
  EVENT_BATCH,
  type EventOptions,
  type EventSubscription,
  eventSubscription,
  type SubscriptionOptions,
} from './event-stream.js';
import { mapOfType } from './map-open.js';
import { MapType } from './map-types.js';
import { perfEventTake } from './perf-event-take.js';
import { type PerfDrainReader, type PerfEventDrain, type PerfRing, perfEventDrain } from './perf-events.js';
import { PerfRingReader } from './perf-reader-base.js';
import { closePerfRings, holdPerfEventArray, openPerfRings, perfDataSize } from './perf-rings.js';
import { defaultPoller, type Poller } from './poller.js';
import { ReaderClosedError } from './reader-errors.js';
import type { ReaderStats } from './reader-types.js';
import { RecordStream } from './record-stream.js';
import { DrainForm } from './ring-events.js';
import { readPosition } from './ring-layout.js';
import { Slab } from './slab.js';

/** What a drain also stops for once closed (a subscription closed by its own callback). */
type Until = DrainStop | undefined;

/** Options of {@link PerfBuffer.open}. */
export interface PerfBufferOptions {
  /** Data pages per CPU: a positive integer power of two, 1, 2, 4, … (default 8). */
  pages?: number;
  /** Wake up after this many bytes instead of after every event. */
  watermark?: number;
  /** CPUs to read: online CPUs of this machine, each given once (default: every online CPU). */
  cpus?: readonly number[];
  poller?: Poller;
  signal?: AbortSignal;
}

/**
 * The events of a {@link PerfBuffer}, typed: `perf.on('record', (rec) => …)` gets a `Uint8Array`.
 */
export interface PerfBufferEvents {
  /** One sample, as a copy that is yours to keep; emitted while a listener is attached. */
  record: [record: Uint8Array];
  /** The kernel dropped `count` samples on `cpu` because its ring was full. */
  lost: [count: number, cpu: number];
  /** The reader was closed (by `close()`, `using`, or its abort signal). */
  close: [];
}

/**
 * Reads a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` filled by `bpf_perf_event_output`: one
 * BPF_OUTPUT perf event per CPU, mmapped (1 + 2^n pages) and stored in the map at
 * key = CPU. Delivers RAW samples (their payload as the kernel padded it: the
 * size rounds up so that size + 4 is a multiple of 8) and counts LOST records.
 */
export class PerfBuffer
  extends PerfRingReader<PerfBufferEvents>
  implements Disposable, AsyncIterable<Uint8Array>
{
  readonly #rings = this.perfRings;
  // The reader's own duplicate of the map's fd (see holdPerfEventArray).
  readonly #map: OwnedFd;
  readonly #epoll: Epoll;
  readonly #stream: RecordStream;
  readonly #dataSize: number;
  readonly #page = pageSize();
  #scratch = new Uint8Array(256);
  #scratchView = new DataView(this.#scratch.buffer);
  #next = 0;
  readonly #slab = new Slab();
  #closed = false;
  // How messages name this reader: `perf buffer reader of perf_event_array map 'events'`.
  readonly #name: string;
  /** Counters: `discarded` is the number of samples the kernel reported lost. */
  readonly stats: ReaderStats = { records: 0, bytes: 0, discarded: 0 };
  // What the drains (perf-events.ts) read of this reader.
  readonly #events: PerfDrainReader & { closed: boolean };

  private constructor(map: { readonly fd: number }, name: string, o: PerfBufferOptions) {
    const dataSize = perfDataSize(o.pages ?? 8, name);
    super(dataSize);
    this.#name = name;

    this.#dataSize = dataSize;
    this.#events = {
      name,
      page: this.#page,
      size: this.#dataSize,
      closed: false,
      stats: this.stats,
      unwrap: (r, start, len) => this.#unwrap(r, start, len),
      lost: (count, cpu) => {
        this.stats.discarded += count;
        this.emit('lost', count, cpu);
      },
      rings: this.#rings,
      current: 0,
    };
    this.#map = holdPerfEventArray(map.fd);
    try {
      this.#epoll = new Epoll();
    } catch (e) {
      this.#map.close();
      throw e;
    }
    try {
      openPerfRings(
        this.#map.fd,
        name,
        { pages: o.pages ?? 8, cpus: o.cpus, watermark: o.watermark },
        this.#rings,
      );
      for (const r of this.#rings) this.#epoll.add(r.fd.fd, r.cpu);
    } catch (e) {
      this.#release();
      throw e;
    }
    // Polling a perf event uses its readiness up: the poller also asks whether samples are pending.
    this.#stream = new RecordStream(this, o.poller ?? defaultPoller(), this.#epoll.fd, o.signal, true);
  }

  /** Opens per-CPU perf events for `map` (a perf event array) and starts reading them. */
  static open(map: { readonly fd: number }, options: PerfBufferOptions = {}): PerfBuffer {
    const { label } = mapOfType(
      map.fd,
      MapType.PERF_EVENT_ARRAY,
      'PerfBuffer.open',
      (type) => `a ${type} map is not a perf event array; ring buffers are read with RingBuffer`,
    );
    return new PerfBuffer(map, `perf buffer reader of ${label}`, options);
  }

  #head(r: PerfRing): number {
    return readPosition(r.meta);
  }

  // Bytes [start, start + len) of a ring's data area, where they wrap its end, copied into the
  // scratch buffer, contiguous: @returns the scratch view (the copy is at its start).
  #unwrap(r: PerfRing, start: number, len: number): DataView {
    const page = this.#page;
    if (this.#scratch.byteLength < len) {
      this.#scratch = new Uint8Array(len * 2);
      this.#scratchView = new DataView(this.#scratch.buffer);
    }
    const first = this.#dataSize - start;
    this.#scratch.set(r.bytes.subarray(page + start, page + this.#dataSize), 0);
    this.#scratch.set(r.bytes.subarray(page, page + len - first), first);
    return this.#scratchView;
  }

  /**
   * Drains ready samples synchronously into `cb`; each view is valid only during its
   * callback. @returns the number of samples.
   */
  consume(cb: (record: Uint8Array, cpu: number) => void, limit = Number.POSITIVE_INFINITY): number {
    return this.#drain(perfEventDrain(this.#events, undefined, DrainForm.consume), cb, limit, undefined);
  }

  // Drains the CPUs' rings in turn (starting one further each time) through `drain`; stops
  // early once the reader (or `until`: a subscription its callback closed) is closed.
  #drain<T>(
    drain: PerfEventDrain<T>,
    cb: (sample: T, cpu: number) => void,
    limit: number,
    until: Until,
  ): number {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with PerfBuffer.open(map)');
    let n = 0;
    const rings = this.#rings.length;
    for (let i = 0; i < rings && n < limit && !this.#closed && until?.closed !== true; i++) {
      const r = this.#rings[(this.#next + i) % rings]!;
      n += drain(r, cb, limit - n, until);
    }
    this.#next = (this.#next + 1) % Math.max(this.#rings.length, 1);
    return n;
  }

  /**
   * Drains ready samples synchronously, decoded: `cb` gets `codec`'s value of each sample (read
   * in place, or from a copy when the sample wraps the ring) and its CPU. The values are yours to
   * keep: built-in codecs copy what they read. A sample longer than `codec.size` (the kernel pads
   * raw samples) is decoded from its start; a shorter one is consumed and reported with a
   * `CodecError`. Define `codec` once and reuse it: each codec object gets its own compiled copy
   * of the drain loop per form (`consumeEvents`, `events`, `onEvent`), so a codec made anew for
   * every call is compiled anew every time. @returns the number of samples delivered.
   */
  consumeEvents<T>(
    codec: Codec<T>,
    cb: (event: T, cpu: number) => void,
    limit = Number.POSITIVE_INFINITY,
  ): number {
    checkEventCodec(codec, this.#name);
    return this.#drain(perfEventDrain(this.#events, codec, DrainForm.consume), cb, limit, undefined);
  }

  /**
   * `for await` over the samples decoded by `codec`: each step decodes the next ready sample in
   * place, without a copy; a `break` leaves every later sample in the rings. Ends on close or
   * when `signal` aborts. Decoding follows {@link PerfBuffer.consumeEvents}. A step that fails
   * rejects and ends the iteration, the reader staying open: with a `CodecError` for a sample the
   * codec refuses (the sample is consumed), with a `CorruptRecordError` for a corrupt ring.
   */
  events<T>(codec: Codec<T>, options: EventOptions = {}): AsyncIterableIterator<T> {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with PerfBuffer.open(map)');
    checkEventCodec(codec, this.#name);
    return new EventIterator(this, this.#stream, perfEventTake(this.#events, codec), options.signal);
  }

  /**
   * Calls `cb` with every sample decoded by `codec` and its CPU, as the poller sees them (in batches
   * of 4096, for up to 1 ms a turn of the event loop), until the subscription is closed, its signal aborts or the reader closes:
   * the callback form of libbpf's `perf_buffer__new(fd, pages, sample_cb, lost_cb, …)` +
   * `perf_buffer__poll` (lost samples are the `'lost'` event). An error thrown by `cb`, or a sample
   * the codec refuses, ends that wake-up's drain (the sample counts as consumed) and is rethrown
   * from the poller's wake-up, unless `options.onError` takes it. Decoding follows
   * {@link PerfBuffer.consumeEvents}.
   */
  onEvent<T>(
    codec: Codec<T>,
    cb: (event: T, cpu: number) => void,
    options: SubscriptionOptions = {},
  ): EventSubscription {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with PerfBuffer.open(map)');
    checkEventCodec(codec, this.#name);
    const drain = perfEventDrain(this.#events, codec, DrainForm.subscription);
    return eventSubscription(
      this,
      this.#stream,
      (subscription) => this.#drain(drain, cb, EVENT_BATCH, subscription),
      options,
    );
  }

  /** Drains ready samples as copies. */
  read(limit = Number.POSITIVE_INFINITY): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consume((rec) => {
      const copy = this.#slab.take(rec.byteLength);
      copy.set(rec);
      out.push(copy);
    }, limit);
    return out;
  }

  /** The next sample as a copy, or undefined. */
  readOne(): Uint8Array | undefined {
    return this.read(1)[0];
  }

  /** True when some CPU has unread records. */
  get pending(): boolean {
    return !this.#closed && this.#rings.some((r) => r.tail < this.#head(r));
  }

  /** Waits up to `timeoutMs` (blocking this thread) for data, then drains into `cb`. */
  poll(timeoutMs: number, cb: (record: Uint8Array, cpu: number) => void): number {
    if (!this.pending && timeoutMs !== 0) this.#epoll.wait(timeoutMs, this.#rings.length || 1);
    return this.consume(cb);
  }

  /** Async iteration over copies of the samples; ends on close or abort. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with PerfBuffer.open(map)');
    return this.#stream.iterator();
  }

  /** Like iterating, with its own abort signal. */
  records(options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.#stream.iterator(options.signal) };
  }

  protected assertOpen(): void {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with PerfBuffer.open(map)');
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #release(): void {
    closePerfRings(this.#map, this.#rings);
    this.#epoll.close();
  }

  /** Stops reading, removes the events from the map and closes them; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.closed = true;
    this.#stream.close();
    this.#release();
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
