import { EventEmitter } from 'node:events';
import { Epoll, type MappedMemory, type OwnedFd, pageSize } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { copySpace } from './copy-space.js';
import { EventIterator } from './event-iterator.js';
import {
  checkEventCodec,
  EVENT_BATCH,
  type EventOptions,
  type EventSubscription,
  eventSubscription,
  type SubscriptionOptions,
} from './event-stream.js';
import { defaultPoller } from './poller.js';
import { ReadAhead } from './read-ahead.js';
import { ReaderClosedError, ReaderStateError } from './reader-errors.js';
import type { ReaderStats, RecordLease, RingBufferEvents, RingBufferOptions } from './reader-types.js';
import { RecordBatch } from './record-batch.js';
import { type CursorRing, RecordCursor } from './record-cursor.js';
import { LeasedRecords } from './record-lease.js';
import type { RecordList, RecordTables } from './record-list.js';
import { RecordStream } from './record-stream.js';
import type { RecordView } from './record-view.js';
import { commitPosition, DrainForm, type EventRing, ringEventDrain, ringEventTake } from './ring-events.js';
import * as layout from './ring-layout.js';
import { mapRing, ringOfMap } from './ring-mapping.js';

// Module-local copies of the layout's constants and helpers: V8 folds and inlines a module's
// own constants, but reads an imported binding through its module cell (with a check that it is
// initialized) at every use, which costs several ns a record in the loops below.
const { BUSY, DISCARD, HEADER, LEN_MASK, loadWord, readPosition, recordSpan } = layout;

// Default ring span of a batch read or lease: small enough that the records are still in
// the CPU cache when they are read after the scan or the copy.
const BATCH_BYTES = 256 * 1024;

// Ring span of one copy made by read(), readOne() and the record iterator, whose records keep
// their copy alive (so each copy is fresh memory).
const COPY_BYTES = 64 * 1024;

/**
 * Reads a `BPF_MAP_TYPE_RINGBUF` in place: the consumer page mapped read-write,
 * the producer page and the (double-mapped) data read-only. Records can be read
 * synchronously (`consume`, `read`, `poll`, `lease`), with `on('record', cb)`, or
 * with `for await (const rec of ring)`; waiting never blocks the event loop.
 */
export class RingBuffer
  extends EventEmitter<RingBufferEvents>
  implements Disposable, AsyncIterable<Uint8Array>
{
  /**
   * Data area size in bytes (the map's max_entries): libbpf's `ring__size`, cilium/ebpf's
   * `BufferSize()`.
   */
  readonly size: number;
  readonly #consumer: MappedMemory;
  readonly #data: MappedMemory;
  // The data mapping (producer page, then the data area mapped twice) as words and bytes:
  // read-only memory, only ever read here (see MappedMemory.unsafeArrayBuffer).
  readonly #words: Uint32Array;
  readonly #bytes: Uint8Array;
  readonly #consPos: Uint32Array;
  readonly #stream: RecordStream;
  // A duplicate of the map's fd, owned by the reader: closing the map first does not break it.
  readonly #fd: OwnedFd;
  readonly #page = pageSize();
  readonly #mask: number;
  readonly #dataView: DataView;
  readonly #scratch = new RecordBatch();
  // The consumer and producer positions (and the mapping), shared with the decoded-event drain.
  readonly #ring: EventRing;
  // How messages name this reader: `ring buffer reader of ringbuf map 'events'`.
  readonly #name: string;
  #spareTables: RecordTables | undefined;
  // The lease or cursor not yet committed (at most one), made unreadable if the ring closes first.
  #heldLease: LeasedRecords | RecordCursor | undefined;
  // The last lease and the last cursor handed out, kept after their commit. V8 keeps the hidden
  // classes of a class's instances only while one instance lives, and deoptimizes the code
  // optimized for them (a caller's read loop, next(), the getters) when a GC drops them.
  // Without this, a drain after every GC that collected the previous cursor ran deoptimized:
  // 20-35 ns a record instead of ~4.5 at 64 bytes.
  readonly #keptAlive: { lease: LeasedRecords | undefined; cursor: RecordCursor | undefined } = {
    lease: undefined,
    cursor: undefined,
  };
  // Where the held lease ends, and its payload bytes.
  #leaseEnd = 0;
  #leaseBytes = 0;
  readonly #ahead = new ReadAhead();
  // True while consume() runs: reads from its callback would take the records it is delivering.
  #consuming = false;
  #syncEpoll: Epoll | undefined;
  #closed = false;
  /** Counters since opening. */
  readonly stats: ReaderStats = { records: 0, bytes: 0, discarded: 0 };

  private constructor(mapFd: number, size: number, name: string, options: RingBufferOptions) {
    super();
    this.#name = name;
    const page = pageSize();
    const mapping = mapRing(mapFd, size);
    this.#fd = mapping.fd;
    const fd = this.#fd.fd;
    this.size = size;
    this.#mask = size - 1;
    this.#data = mapping.data;
    this.#consumer = mapping.consumer;
    this.#words = mapping.words;
    this.#bytes = mapping.bytes;
    this.#dataView = mapping.view;
    this.#consPos = mapping.consPos;
    // The positions, and what the decoded-event drain (ring-events.ts) reads: data, no closures
    // in its loop (a drain's loop is shared by every reader).
    this.#ring = {
      name,
      words: this.#words,
      view: this.#dataView,
      page,
      mask: this.#mask,
      size,
      consPos: this.#consPos,
      cons: readPosition(this.#consPos),
      prod: 0,
      closed: false,
      ready: () => {
        this.#assertOpen();
        this.#assertNothingHeld();
        this.#assertNoReadAhead();
      },
      begin: () => {
        this.#ring.ready();
        this.#consuming = true;
      },
      end: (records, bytes, discarded) => {
        this.#consuming = false;
        this.stats.records += records;
        this.stats.bytes += bytes;
        this.stats.discarded += discarded;
      },
    };
    this.#stream = new RecordStream(this, options.poller ?? defaultPoller(), fd, options.signal);
  }

  /** Opens a reader on a ring buffer map (a `BpfMap` or anything with its fd). */
  static open(map: { readonly fd: number }, options: RingBufferOptions = {}): RingBuffer {
    const { size, label } = ringOfMap(map.fd);
    return new RingBuffer(map.fd, size, `ring buffer reader of ${label}`, options);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with RingBuffer.open(map)');
  }

  #assertNothingHeld(): void {
    if (this.#consuming)
      throw new ReaderStateError(
        this.#name,
        'read inside a consume callback: the callback is handed each record; return from it, then read',
      );
    if (this.#heldLease)
      throw new ReaderStateError(
        this.#name,
        'read while a lease or cursor is held and not committed yet: commit() it first (one at a time)',
      );
  }

  // The record iterator copies ahead; the other forms would skip those records.
  #assertNoReadAhead(): void {
    if (this.#ahead.pending)
      throw new ReaderStateError(
        this.#name,
        'records were read ahead by an iterator or readOne(): take them with read() or readOne() first',
      );
  }

  /** Offset in the data mapping of ring position `pos`. */
  #offset(pos: number): number {
    return this.#page + (pos & this.#mask);
  }

  /**
   * Bytes written from ring position `pos` on, at most one ring size (more would mean another
   * consumer moved the position on). The producer position is read again when `reread`, or
   * once the known records are used up.
   */
  #available(pos: number, reread: boolean): number {
    if (reread || pos >= this.#ring.prod) this.#ring.prod = readPosition(this.#words);
    return Math.min(Math.max(this.#ring.prod - pos, 0), this.size);
  }

  #commit(pos: number): void {
    commitPosition(this.#ring, pos);
  }

  /**
   * The kernel's producer position: bytes ever reserved in the ring (records committed, discarded
   * or still being written, each with its 8-byte header and padding). libbpf's
   * `ring__producer_pos`. @throws ReaderClosedError once closed.
   */
  get producerPosition(): number {
    this.#assertOpen();
    return readPosition(this.#words);
  }

  /**
   * The consumer position the kernel sees: bytes given back to the producer so far. Records a lease
   * or cursor holds are not given back until its `commit()`, and records read ahead by `readOne()`
   * or the iterator already are. libbpf's `ring__consumer_pos`. @throws ReaderClosedError once closed.
   */
  get consumerPosition(): number {
    this.#assertOpen();
    return readPosition(this.#consPos);
  }

  /**
   * Bytes of the data area in use: producer position minus consumer position (records ready,
   * discarded or being written, and held by a lease or cursor, with their headers and padding);
   * `size - availableBytes` is free. libbpf's `ring__avail_data_size`, cilium/ebpf's
   * `AvailableBytes()`. @throws ReaderClosedError once closed.
   */
  get availableBytes(): number {
    this.#assertOpen();
    // the consumer first: read after the producer, a consumer that moved on in between could pass it
    const consumer = readPosition(this.#consPos);
    return readPosition(this.#words) - consumer;
  }

  /** True when a record (or a discarded one) is waiting; not while the next is still being written. */
  get pending(): boolean {
    if (this.#closed) return false;
    if (this.#ahead.pending) return true;
    const cons = this.#ring.cons;
    return this.#available(cons, false) > 0 && !(loadWord(this.#words, this.#offset(cons) >>> 2) & BUSY);
  }

  /**
   * Drains ready records synchronously into `cb` without copying: each view is valid
   * only during its callback. @returns the number of records.
   */
  consume(cb: (record: RecordView) => void, limit = Number.POSITIVE_INFINITY): number {
    this.#assertOpen();
    this.#assertNothingHeld();
    this.#assertNoReadAhead();
    // A cursor that hands itself to the callback. The space is given back every 16 records
    // (libbpf does after each; this gives it back nearly as early for less work) and at the
    // end, also when a callback throws: a record counts as consumed once delivered.
    const cursor = this.#openCursor();
    let n = 0;
    this.#consuming = true;
    try {
      while (n < limit && cursor.next()) {
        n++;
        cb(cursor);
        if (this.#closed) break;
        if ((n & 15) === 0) cursor.release();
      }
    } finally {
      this.#consuming = false;
      cursor.commit();
    }
    return n;
  }

  /**
   * Drains ready records synchronously, decoded: `cb` gets `codec`'s value of each record (read
   * in place, then the record's space is given back before the call, as libbpf does after each
   * callback). The values are yours to keep: built-in codecs copy what they read. A record
   * longer than `codec.size` is decoded from its start; a shorter one, or one the codec refuses
   * (a `u64AsNumber` field above 2^53 - 1), is consumed and reported with a `CodecError`.
   * Define `codec` once and reuse it: each codec object gets its own compiled copy of the drain
   * loop per form (`consumeEvents`, `events`, `onEvent`), so a codec made anew for every call
   * is compiled anew every time. @returns the number of records delivered.
   */
  consumeEvents<T>(codec: Codec<T>, cb: (event: T) => void, limit = Number.POSITIVE_INFINITY): number {
    checkEventCodec(codec, this.#name);
    return ringEventDrain(this.#ring, codec, DrainForm.consume)(cb, limit, undefined);
  }

  /**
   * `for await` over the records decoded by `codec` (a struct codec, say): each step decodes
   * the next ready record in place and gives its space back, without a copy; a `break` leaves
   * every later record in the ring. Ends on close or when `signal` aborts. Decoding follows
   * {@link RingBuffer.consumeEvents}. A step that fails rejects and ends the iteration, the
   * reader staying open: with a `CodecError` for a record the codec refuses (the record is
   * consumed), with a `ReaderStateError` for a corrupt ring or a reader in use (a lease or cursor
   * held, records read ahead by the record iterator).
   */
  events<T>(codec: Codec<T>, options: EventOptions = {}): AsyncIterableIterator<T> {
    this.#assertOpen();
    checkEventCodec(codec, this.#name);
    return new EventIterator(this, this.#stream, ringEventTake(this.#ring, codec), options.signal);
  }

  /**
   * Calls `cb` with every record decoded by `codec`, as the poller sees them (in batches of
   * 4096, for up to 1 ms a turn of the event loop), until the subscription is closed, its signal aborts or the reader closes: the
   * callback form of libbpf's `ring_buffer__new(fd, sample_cb, …)` + `ring_buffer__poll`. An error
   * thrown by `cb`, or a record the codec refuses, ends that wake-up's drain (the record counts as
   * consumed) and is rethrown from the poller's wake-up, as an `'record'` listener's error would
   * be, unless `options.onError` takes it. One consumer per ring: records go to whichever drain
   * runs first. Decoding follows {@link RingBuffer.consumeEvents}.
   */
  onEvent<T>(codec: Codec<T>, cb: (event: T) => void, options: SubscriptionOptions = {}): EventSubscription {
    this.#assertOpen();
    checkEventCodec(codec, this.#name);
    const drain = ringEventDrain(this.#ring, codec, DrainForm.subscription);
    return eventSubscription(
      this,
      this.#stream,
      (subscription) => drain(cb, EVENT_BATCH, subscription),
      options,
    );
  }

  /**
   * Lists the committed records from the consumer position on in `list` (at most
   * `maxRecords`, and at most `maxBytes` of ring unless the first record alone is larger),
   * each at `base` + its distance from that position; discarded ones are skipped and
   * counted. @returns the ring bytes they span and their payload bytes.
   */
  #scan(list: RecordList, base: number, maxBytes: number, maxRecords: number): [number, number] {
    // Walked by offset in the mapping, as in consume: nothing is given back during a scan, so
    // the records from the consumer position on span at most one ring size. The list's tables
    // are filled through locals (the list is empty when the scan starts).
    const words = this.#words;
    const start = this.#ring.cons;
    const first = this.#offset(start);
    const delta = base - first + HEADER;
    const stop = first + maxBytes;
    const most = Math.min(maxRecords, 0x7fffffff);
    let { offsets, lengths } = list.tables();
    let end = (first + this.#available(start, false)) >>> 0;
    let at = first;
    let count = 0;
    let bytes = 0;
    let discarded = 0;
    while (count < most) {
      if (at >= end) {
        end = (first + this.#available(start, true)) >>> 0;
        if (at >= end) break;
      }
      const word = loadWord(words, at >>> 2);
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      const next = at + recordSpan(len);
      if (next > stop && at > first) break;
      if (word & DISCARD) discarded++;
      else {
        if (count === offsets.length) ({ offsets, lengths } = list.grow(count));
        offsets[count] = at + delta;
        lengths[count] = len;
        count++;
        bytes += len;
      }
      at = next;
    }
    list.setCount(count);
    this.stats.discarded += discarded;
    return [at - first, bytes];
  }

  /** Copies `span` ring bytes from the consumer position into `target` and gives them back. */
  #copyAndCommit(target: Uint8Array, span: number): void {
    const from = this.#offset(this.#ring.cons);
    // The data area is mapped twice in a row, so a span that wraps is contiguous here.
    target.set(this.#bytes.subarray(from, from + span));
    this.#commit(this.#ring.cons + span);
  }

  /**
   * Copies the ready records (at most `maxRecords`, and about `maxBytes` — default 256 KiB —
   * of ring) with one copy into a batch, and gives their space back to the producer.
   * Pass the previous batch as `into` to reuse its storage: nothing is allocated then.
   * An empty batch (`count` 0) means nothing was ready.
   */
  readBatch(options: { into?: RecordBatch; maxBytes?: number; maxRecords?: number } = {}): RecordBatch {
    this.#assertOpen();
    this.#assertNothingHeld();
    this.#assertNoReadAhead();
    const batch = options.into ?? new RecordBatch();
    batch.clear();
    const [span, bytes] = this.#scan(
      batch,
      0,
      options.maxBytes ?? BATCH_BYTES,
      options.maxRecords ?? Number.POSITIVE_INFINITY,
    );
    if (span > 0) this.#copyAndCommit(batch.storage(span), span);
    this.stats.records += batch.count;
    this.stats.bytes += bytes;
    return batch;
  }

  /**
   * Drains ready records as copies (one copy per 64 KiB of ring, its records share it; records
   * read ahead by `readOne()` or the record iterator come first).
   */
  read(limit = Number.POSITIVE_INFINITY): Uint8Array[] {
    this.#assertOpen();
    this.#assertNothingHeld();
    const out: Uint8Array[] = [];
    const ahead = this.#ahead;
    while (ahead.pending && out.length < limit) out.push(ahead.next());
    const scratch = this.#scratch;
    while (out.length < limit) {
      scratch.clear();
      const [span, bytes] = this.#scan(scratch, 0, COPY_BYTES, limit - out.length);
      if (span === 0) break;
      const count = scratch.count;
      this.stats.records += count;
      this.stats.bytes += bytes;
      const copy = copySpace(span);
      this.#copyAndCommit(copy, span);
      // A view per record on the shared copy (`new Uint8Array(buffer, …)` costs half of `subarray`).
      const buffer = copy.buffer;
      const offsets = scratch.offsets;
      const lengths = scratch.lengths;
      for (let i = 0; i < count; i++) out.push(new Uint8Array(buffer, offsets[i]!, lengths[i]!));
    }
    return out;
  }

  /**
   * The next record as a copy, or undefined. Copies what is ready ahead (up to 64 KiB of ring,
   * leaving the ring at once): those records are still counted as pending, and every other read
   * takes them first or throws rather than skip them.
   */
  readOne(): Uint8Array | undefined {
    if (!this.#ahead.pending && !this.#readAhead()) return undefined;
    return this.#ahead.next();
  }

  /** Copies the ready records into a fresh read-ahead copy; false when none was ready (or closed). */
  #readAhead(): boolean {
    if (this.#closed) return false;
    this.#assertNothingHeld();
    const list = this.#ahead.list;
    for (;;) {
      list.clear();
      const [span, bytes] = this.#scan(list, 0, COPY_BYTES, Number.POSITIVE_INFINITY);
      if (span === 0) return false;
      const copy = copySpace(span);
      this.#copyAndCommit(copy, span);
      const count = list.count;
      if (count === 0) continue; // only discarded records (counted by the scan)
      this.stats.records += count;
      this.stats.bytes += bytes;
      this.#ahead.fill(copy.buffer);
      return true;
    }
  }

  /**
   * Holds the ready records in place (at most `maxRecords`, and about `maxBytes` of ring —
   * default 256 KiB, which stays in the CPU cache between the scan and your reads) for reading by
   * index without a copy or a callback, until `commit()` gives their space back. One lease
   * (of one record or of several) at a time. An empty lease (`count` 0) holds nothing.
   */
  leaseRecords(options: { maxRecords?: number; maxBytes?: number } = {}): LeasedRecords {
    this.#assertOpen();
    this.#assertNothingHeld();
    this.#assertNoReadAhead();
    // The tables of the last committed lease are reused: it can no longer be read.
    const leased = new LeasedRecords(this.#dataView, this.#releaseLease, this.#spareTables);
    this.#keptAlive.lease = leased;
    this.#spareTables = undefined;
    const start = this.#ring.cons;
    const [span, payload] = this.#scan(
      leased,
      this.#offset(start),
      options.maxBytes ?? BATCH_BYTES,
      options.maxRecords ?? Number.POSITIVE_INFINITY,
    );
    if (leased.count === 0) {
      // only discarded records (or none): nothing to hold
      if (span > 0) this.#commit(start + span);
      leased.commit();
      this.#spareTables = leased.tables();
      return leased;
    }
    this.#leaseEnd = start + span;
    this.#leaseBytes = payload;
    this.#heldLease = leased;
    return leased;
  }

  // Defined once per reader, not per lease: optimized code that calls a closure keeps it
  // weakly, and is deoptimized when a GC collects it.
  readonly #releaseLease = (leased: LeasedRecords): void => {
    // an empty lease was never held
    if (this.#heldLease !== leased) return;
    this.#heldLease = undefined;
    this.stats.records += leased.count;
    this.stats.bytes += this.#leaseBytes;
    this.#spareTables = leased.tables();
    if (!this.#closed) this.#commit(this.#leaseEnd);
  };

  /**
   * A cursor over the ready records in place (see {@link RecordCursor}): `next()` moves to
   * the next record, which the cursor reads, until `commit()` gives back the space of all it
   * passed. The fastest reader: no copy, no callback, no table. One lease or cursor at a time.
   */
  cursor(): RecordCursor {
    this.#assertOpen();
    this.#assertNothingHeld();
    this.#assertNoReadAhead();
    return this.#openCursor();
  }

  #openCursor(): RecordCursor {
    const start = this.#ring.cons;
    const first = this.#offset(start);
    const end = first + this.#available(start, false);
    const cursor = new RecordCursor(this.#dataView, this.#words, this.#cursorRing, start, first, end);
    this.#heldLease = this.#keptAlive.cursor = cursor;
    return cursor;
  }

  // One per reader, like #releaseLease.
  readonly #cursorRing: CursorRing = {
    available: (pos) => this.#available(pos, true),
    offset: (pos) => this.#offset(pos),
    giveBack: (pos) => this.#commit(pos),
    release: (cursor, pos, records, bytes, discarded) => {
      if (this.#heldLease === cursor) this.#heldLease = undefined;
      this.stats.records += records;
      this.stats.bytes += bytes;
      this.stats.discarded += discarded;
      if (!this.#closed) this.#commit(pos);
    },
  };

  /** Holds the next record in place until `commit()`; one lease at a time. */
  lease(): RecordLease | undefined {
    const leased = this.leaseRecords({ maxRecords: 1 });
    if (leased.count === 0) return undefined;
    return { bytes: leased.view(0), commit: () => leased.commit() };
  }

  /**
   * Waits up to `timeoutMs` for data (blocking this thread: keep it short on the main
   * thread, or use the async forms), then drains into `cb`. @returns records read.
   */
  poll(timeoutMs: number, cb: (record: RecordView) => void): number {
    this.#assertOpen();
    if (!this.pending && timeoutMs !== 0) {
      if (!this.#syncEpoll) {
        this.#syncEpoll = new Epoll();
        this.#syncEpoll.add(this.#fd.fd, 1);
      }
      this.#syncEpoll.wait(timeoutMs, 1);
    }
    return this.consume(cb);
  }

  /** Async iteration over copies of the records; ends on close or abort. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.#assertOpen();
    return this.#stream.iterator();
  }

  /**
   * Async iteration over batches of copied records (see {@link RingBuffer.readBatch}): one
   * promise per batch instead of one per record. The same batch object is refilled for
   * each step, so its records are valid until the next one. Ends on close or abort.
   */
  async *batches(
    options: { signal?: AbortSignal; maxBytes?: number; maxRecords?: number } = {},
  ): AsyncGenerator<RecordBatch, void, undefined> {
    this.#assertOpen();
    const batch = new RecordBatch();
    const read = { into: batch, maxBytes: options.maxBytes, maxRecords: options.maxRecords };
    for (;;) {
      if (this.#closed || options.signal?.aborted) return;
      if (this.readBatch(read).count > 0) yield batch;
      else if (!(await this.#stream.readable(options.signal))) return;
    }
  }

  /** Like iterating, with its own abort signal. */
  records(options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    this.#assertOpen();
    return { [Symbol.asyncIterator]: () => this.#stream.iterator(options.signal) };
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stops watching, ends iterators and unmaps; idempotent. The map itself stays open. */
  close(): void {
    if (this.#closed) return;
    // A record consume() delivered counts as consumed, also when its callback closes the reader.
    if (this.#consuming && this.#heldLease instanceof RecordCursor) this.#heldLease.release();
    this.#closed = true;
    this.#ring.closed = true;
    this.#heldLease?.revoke();
    this.#stream.close();
    this.#syncEpoll?.close();
    this.#consumer.close();
    this.#data.close();
    this.#fd.close();
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
