import { EventEmitter } from 'node:events';
import {
  Epoll,
  MappedMemory,
  mapInfo,
  ObjectClosedError,
  Prot,
  pageSize,
  type ReadOnlyBytes,
} from '@ts-ebpf/syscall';
import { MapTypeError } from './errors.js';
import { MapType } from './map-types.js';
import { defaultPoller, type Poller } from './poller.js';
import { RecordStream } from './record-stream.js';
import { RecordView } from './record-view.js';
import { BUSY, DISCARD, HEADER, LEN_MASK, readPosition, recordSpan, writePosition } from './ring-layout.js';

/** Counters of a reader. */
export interface ReaderStats {
  /** Records delivered. */
  records: number;
  /** Payload bytes delivered. */
  bytes: number;
  /** Records skipped because the producer discarded them (ring) or the kernel lost them (perf). */
  discarded: number;
}

/** Options of {@link RingBuffer.open}. */
export interface RingBufferOptions {
  /** The poller that watches the ring (default: the shared one). */
  poller?: Poller;
  /** Closes the reader when aborted. */
  signal?: AbortSignal;
}

/** A record held in place: `bytes` stays valid until `commit()` gives its space back. */
export interface RecordLease {
  readonly bytes: RecordView;
  commit(): void;
}

/**
 * Reads a `BPF_MAP_TYPE_RINGBUF` in place: the consumer page mapped read-write,
 * the producer page and the (double-mapped) data read-only. Records can be read
 * synchronously (`consume`, `read`, `poll`, `lease`), with `on('record', cb)`, or
 * with `for await (const rec of ring)`; waiting never blocks the event loop.
 */
export class RingBuffer extends EventEmitter implements Disposable, AsyncIterable<Uint8Array> {
  /** Data area size in bytes (the map's max_entries). */
  readonly size: number;
  readonly #consumer: MappedMemory;
  readonly #data: MappedMemory;
  readonly #reader: ReadOnlyBytes;
  readonly #consPos: Uint32Array;
  readonly #stream: RecordStream;
  readonly #fd: number;
  readonly #page = pageSize();
  readonly #view: RecordView;
  #cons: number;
  #prod = 0;
  readonly #queue: Uint8Array[] = [];
  #leased = -1;
  #syncEpoll: Epoll | undefined;
  #closed = false;
  /** Counters since opening. */
  readonly stats: ReaderStats = { records: 0, bytes: 0, discarded: 0 };

  private constructor(fd: number, size: number, options: RingBufferOptions) {
    super();
    const page = pageSize();
    this.#fd = fd;
    this.size = size;
    this.#consumer = MappedMemory.map({ length: page, prot: Prot.READ | Prot.WRITE, fd });
    try {
      this.#data = MappedMemory.map({ length: page + 2 * size, prot: Prot.READ, fd, offset: page });
    } catch (e) {
      this.#consumer.close();
      throw e;
    }
    this.#reader = this.#data.reader();
    this.#view = new RecordView(this.#reader);
    this.#consPos = new Uint32Array(this.#consumer.bytes.buffer, 0, 2);
    this.#cons = readPosition(this.#consPos);
    this.#stream = new RecordStream(this, options.poller ?? defaultPoller(), fd, options.signal);
  }

  /** Opens a reader on a ring buffer map (a `BpfMap` or anything with its fd). */
  static open(map: { readonly fd: number }, options: RingBufferOptions = {}): RingBuffer {
    const info = mapInfo(map.fd);
    if (info.type !== MapType.RINGBUF)
      throw new MapTypeError(`map ${info.id} is not a ring buffer (type ${info.type})`);
    return new RingBuffer(map.fd, info.maxEntries, options);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ObjectClosedError('ring buffer reader');
  }

  #producer(): number {
    return readPosition(this.#reader);
  }

  #commit(pos: number): void {
    this.#cons = pos;
    writePosition(this.#consPos, 0, pos);
  }

  /**
   * The next record in place, skipping discarded ones; undefined when none is ready.
   * @internal Returns [offset in the data mapping, length, position after it].
   */
  #next(): [number, number, number] | undefined {
    let cons = this.#cons;
    // Re-read the producer position only once the known records are used up.
    if (cons >= this.#prod) this.#prod = this.#producer();
    while (cons < this.#prod) {
      const at = this.#page + (cons % this.size);
      const word = this.#reader.getUint32(at);
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      const end = cons + recordSpan(len);
      if (word & DISCARD) {
        this.stats.discarded++;
        cons = end;
        this.#commit(cons);
        continue;
      }
      return [at + HEADER, len, end];
    }
    return undefined;
  }

  /** True when a record (or a discarded one) is waiting. */
  get pending(): boolean {
    if (this.#closed) return false;
    if (this.#queue.length > 0) return true;
    if (this.#cons >= this.#prod) this.#prod = this.#producer();
    return this.#cons < this.#prod;
  }

  /**
   * Drains ready records synchronously into `cb` without copying: each view is valid
   * only during its callback. @returns the number of records.
   */
  consume(cb: (record: RecordView) => void, limit = Number.POSITIVE_INFINITY): number {
    this.#assertOpen();
    if (this.#leased >= 0) throw new Error('a leased record is not committed yet');
    if (this.#queue.length > 0)
      throw new Error('records were read ahead by an iterator: take them with read()');
    // The hot loop works on locals and publishes the consumer position after every
    // record, so the producer gets the space back at once (as libbpf does).
    const reader = this.#reader;
    const view = this.#view;
    const page = this.#page;
    const mask = this.size - 1;
    const stats = this.stats;
    let cons = this.#cons;
    let prod = this.#prod;
    let n = 0;
    let bytes = 0;
    try {
      while (n < limit) {
        if (cons >= prod) {
          prod = this.#producer();
          if (cons >= prod) break;
        }
        const at = page + (cons & mask);
        const word = reader.getUint32(at);
        if (word & BUSY) break;
        const len = word & LEN_MASK;
        const end = cons + recordSpan(len);
        if (word & DISCARD) {
          stats.discarded++;
        } else {
          n++;
          bytes += len;
          try {
            cb(view.reset(at + HEADER, len));
          } finally {
            // consumed even when the callback throws: it was delivered once
            this.#commit(end);
          }
        }
        cons = end;
      }
      this.#commit(cons);
    } finally {
      this.#prod = prod;
      stats.records += n;
      stats.bytes += bytes;
    }
    return n;
  }

  /** Drains ready records as copies. */
  read(limit = Number.POSITIVE_INFINITY): Uint8Array[] {
    this.#assertOpen();
    if (this.#leased >= 0) throw new Error('a leased record is not committed yet');
    const out = this.#queue.splice(0, Math.min(this.#queue.length, limit));
    while (out.length < limit && this.#copySpan(out, limit - out.length) > 0);
    return out;
  }

  /**
   * Copies the committed records ahead (up to `limit`, at most 1 MiB) with one copy into one
   * new buffer, then hands out views of it: much cheaper than a copy per record.
   * @returns the number of records (including discarded ones) consumed.
   */
  #copySpan(out: Uint8Array[], limit: number): number {
    const start = this.#cons;
    if (start >= this.#prod) this.#prod = this.#producer();
    const ready = Math.min(this.#prod - start, 1 << 20);
    if (ready <= 0) return 0;
    // One copy of everything the producer has published, then one scan of the copy
    // (plain typed-array reads, no bounds-checked mapping reads per record).
    const copy = this.#reader.copyInto(new Uint8Array(ready), this.#page + (start % this.size));
    const words = new Uint32Array(copy.buffer, 0, ready >>> 2);
    const stats = this.stats;
    let at = 0;
    let taken = 0;
    let bytes = 0;
    while (at < ready && taken < limit) {
      const word = words[at >>> 2]!;
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      if (word & DISCARD) stats.discarded++;
      else {
        out.push(copy.subarray(at + HEADER, at + HEADER + len));
        taken++;
        bytes += len;
      }
      at += recordSpan(len);
    }
    if (at === 0) return 0;
    stats.records += taken;
    stats.bytes += bytes;
    this.#commit(start + at);
    return 1;
  }

  /** The next record as a copy, or undefined (copies up to 256 ahead, still counted as pending). */
  readOne(): Uint8Array | undefined {
    if (this.#queue.length === 0) this.#queue.push(...this.read(256));
    return this.#queue.shift();
  }

  /** Holds the next record in place until `commit()`; one lease at a time. */
  lease(): RecordLease | undefined {
    this.#assertOpen();
    if (this.#leased >= 0) throw new Error('a leased record is not committed yet');
    const r = this.#next();
    if (!r) return undefined;
    this.#leased = r[2];
    const bytes = new RecordView(this.#reader).reset(r[0], r[1]);
    return {
      bytes,
      commit: () => {
        if (this.#leased !== r[2]) return;
        this.#leased = -1;
        this.stats.records++;
        this.stats.bytes += r[1];
        if (!this.#closed) this.#commit(r[2]);
      },
    };
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
        this.#syncEpoll.add(this.#fd, 1);
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
    this.#closed = true;
    this.#stream.close();
    this.#syncEpoll?.close();
    this.#consumer.close();
    this.#data.close();
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
