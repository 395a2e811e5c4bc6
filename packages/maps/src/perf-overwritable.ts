import { type OwnedFd, PerfRecord, pageSize } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { mapOfType } from './map-open.js';
import { MapType } from './map-types.js';
import { PerfRingReader } from './perf-reader-base.js';
import {
  type CpuRing,
  closePerfRings,
  holdPerfEventArray,
  openPerfRings,
  perfDataSize,
} from './perf-rings.js';
import { CorruptRecordError, ReaderClosedError, ReaderStateError } from './reader-errors.js';
import type { ReaderStats } from './reader-types.js';
import { POSITION_LOW } from './ring-layout.js';

/** Options of {@link OverwritablePerfBuffer.open}. */
export interface OverwritablePerfBufferOptions {
  /** Data pages per CPU: a positive integer power of two, 1, 2, 4, … (default 8). */
  pages?: number;
  /** CPUs to record: online CPUs of this machine, each given once (default: every online CPU). */
  cpus?: readonly number[];
}

const TWO32 = 0x100000000;

/**
 * Unread bytes of a ring as counts of bytes the kernel had written: the records from `newest`
 * (the count just after the newest one was written) down to `oldest`.
 */
type Segment = readonly [newest: number, oldest: number];

/** The events of an {@link OverwritablePerfBuffer}. */
export interface OverwritablePerfBufferEvents {
  /** The kernel dropped `count` samples on `cpu`, output while paused. */
  lost: [count: number, cpu: number];
  /** The reader was closed. */
  close: [];
}

/**
 * A flight recorder over a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` (cilium/ebpf's `ReaderOptions.Overwritable`):
 * each CPU's ring always holds the latest samples, the kernel overwriting the oldest ones instead
 * of dropping new ones, and is read on demand: {@link OverwritablePerfBuffer.pause} the output,
 * read what the rings hold, then {@link OverwritablePerfBuffer.resume}.
 *
 * Each CPU's BPF_OUTPUT event is opened with `write_backward` and its ring mapped read-only
 * (kernel/events/ring_buffer.c): the kernel then ignores `data_tail` and writes each record below
 * the previous one, `data_head` counting down from 0, so the newest record starts at `data_head`
 * and the older ones follow it upwards, up to one ring size back. A read walks from there: newest
 * first, and only the samples written since the previous read. A sample overwritten before it was
 * read is gone without a count; samples output while paused are lost, counted by the kernel
 * (the `'lost'` event, `stats.discarded`) once a sample is written on that CPU after the resume.
 */
export class OverwritablePerfBuffer
  extends PerfRingReader<OverwritablePerfBufferEvents>
  implements Disposable
{
  readonly #rings: CpuRing[] = this.perfRings;
  // The reader's own duplicate of the map's fd (see holdPerfEventArray).
  readonly #map: OwnedFd;
  readonly #dataSize: number;
  readonly #page = pageSize();
  // Per ring (by index): the bytes written by the kernel up to the previous read.
  readonly #read: number[] = [];
  // Per ring (by index): what a callback that threw left unread of earlier reads, newest first.
  readonly #unread: Segment[][] = [];
  #scratch = new Uint8Array(256);
  #closed = false;
  readonly #name: string;
  /** Counters: `discarded` is the number of samples the kernel reported lost (output while paused). */
  readonly stats: ReaderStats = { records: 0, bytes: 0, discarded: 0 };

  private constructor(map: { readonly fd: number }, name: string, o: OverwritablePerfBufferOptions) {
    const dataSize = perfDataSize(o.pages ?? 8, name);
    super(dataSize);
    this.#name = name;
    this.#dataSize = dataSize;
    this.#map = holdPerfEventArray(map.fd);
    try {
      openPerfRings(
        this.#map.fd,
        name,
        { pages: o.pages ?? 8, cpus: o.cpus, overwritable: true },
        this.#rings,
      );
    } catch (e) {
      closePerfRings(this.#map, this.#rings);
      throw e;
    }
    for (const r of this.#rings) {
      this.#read.push(this.#written(r));
      this.#unread.push([]);
    }
  }

  /** Opens an overwritable per-CPU perf ring for `map` (a perf event array); the kernel writes to it at once. */
  static open(
    map: { readonly fd: number },
    options: OverwritablePerfBufferOptions = {},
  ): OverwritablePerfBuffer {
    const { label } = mapOfType(
      map.fd,
      MapType.PERF_EVENT_ARRAY,
      'OverwritablePerfBuffer.open',
      (type) => `a ${type} map is not a perf event array; ring buffers are read with RingBuffer`,
    );
    return new OverwritablePerfBuffer(map, `overwritable perf buffer reader of ${label}`, options);
  }

  /**
   * The bytes the kernel wrote to ring `r` so far: `data_head` negated (it counts down from 0 as a
   * u64), exact up to 2^53.
   */
  #written(r: CpuRing): number {
    const meta = r.meta;
    for (;;) {
      const hi = meta[1 - POSITION_LOW]!;
      const lo = meta[POSITION_LOW]!;
      if (meta[1 - POSITION_LOW] !== hi) continue;
      if (lo === 0) return hi === 0 ? 0 : (TWO32 - hi) * TWO32;
      return (TWO32 - 1 - hi) * TWO32 + (TWO32 - lo);
    }
  }

  protected assertOpen(): void {
    if (this.#closed)
      throw new ReaderClosedError(this.#name, 'open a new one with OverwritablePerfBuffer.open(map)');
  }

  /**
   * Delivers the samples each CPU's ring holds that were written since the previous read, newest
   * first (CPU after CPU), to `cb`: each view valid only during its callback. Samples older than
   * one ring size back were overwritten. When `cb` throws, the error is thrown on, and the samples
   * it has not been given yet stay unread: the next read delivers them after the newer ones (those
   * still there). @returns the number of samples.
   * @throws ReaderStateError unless paused (the kernel would write over the samples being read);
   *   CorruptRecordError for a record that cannot be right
   */
  consume(cb: (record: Uint8Array, cpu: number) => void): number {
    this.assertOpen();
    if (!this.paused)
      throw new ReaderStateError(
        this.#name,
        'read while the kernel may write: pause() first (the kernel overwrites the samples being read), then resume()',
      );
    let n = 0;
    for (let i = 0; i < this.#rings.length && !this.#closed; i++) n += this.#consumeRing(i, cb);
    return n;
  }

  /** The samples written since the previous read (see {@link OverwritablePerfBuffer.consume}) as copies. */
  read(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consume((rec) => out.push(rec.slice()));
    return out;
  }

  #consumeRing(i: number, cb: (record: Uint8Array, cpu: number) => void): number {
    const r = this.#rings[i]!;
    const written = this.#written(r);
    // What is unread, newest first: what the kernel wrote since the previous read, then what a
    // callback that threw left of earlier reads.
    const unread: Segment[] = [[written, this.#read[i]!], ...this.#unread[i]!];
    this.#read[i] = written;
    this.#unread[i] = [];
    let n = 0;
    let k = 0;
    let at = 0;
    let done = false;
    try {
      for (; k < unread.length && !this.#closed; k++) {
        const [newest, oldest] = unread[k]!;
        at = written - newest;
        // Only the last ring size back is still there: beyond it the newest records overwrote
        // the oldest.
        const end = Math.min(written - oldest, this.#dataSize);
        while (at < end) {
          const recordSize = this.#recordSize(r, written, at);
          // the oldest record, partly overwritten by the newest
          if (at + recordSize > end) break;
          const body = at + 8;
          at += recordSize;
          if (!this.#deliver(r, written, body, recordSize, cb)) continue;
          n++;
          if (this.#closed) break;
        }
      }
      done = true;
    } finally {
      // A callback threw: what it did not get stays unread, for the next read.
      if (!done && !this.#closed && k < unread.length) {
        const [, oldest] = unread[k]!;
        if (written - at > oldest) this.#unread[i]!.push([written - at, oldest]);
        this.#unread[i]!.push(...unread.slice(k + 1));
      }
    }
    return n;
  }

  /** The size of the record `at` bytes above the newest (data_head) in ring `r`, checked. */
  #recordSize(r: CpuRing, written: number, at: number): number {
    const recordSize = r.view.getUint16(
      this.#page + ((at - written + 6) & (this.#dataSize - 1)),
      HOST_LITTLE_ENDIAN,
    );
    if (recordSize < 8 || recordSize % 8 !== 0)
      throw new CorruptRecordError(this.#name, r.cpu, recordSize, `perf record of ${recordSize} bytes`);
    return recordSize;
  }

  /**
   * Hands the record whose body is `body` bytes above the newest to `cb` when it is a sample
   * (counted in `stats` first, as delivered even when `cb` throws; @returns true), or reports the
   * samples a LOST record counts (@returns false).
   */
  #deliver(
    r: CpuRing,
    written: number,
    body: number,
    recordSize: number,
    cb: (record: Uint8Array, cpu: number) => void,
  ): boolean {
    const mask = this.#dataSize - 1;
    const page = this.#page;
    const view = r.view;
    const start = body - written;
    const type = view.getUint32(page + ((start - 8) & mask), HOST_LITTLE_ENDIAN);
    if (type === PerfRecord.SAMPLE) {
      const len = view.getUint32(page + (start & mask), HOST_LITTLE_ENDIAN);
      if (len > recordSize - 12)
        throw new CorruptRecordError(
          this.#name,
          r.cpu,
          recordSize,
          `perf sample of ${len} bytes in a ${recordSize}-byte record`,
        );
      this.stats.records++;
      this.stats.bytes += len;
      cb(this.#sample(r, (start + 4) & mask, len), r.cpu);
      return true;
    }
    if (type === PerfRecord.LOST) {
      // struct { u64 id; u64 lost; }, u64-aligned: it does not wrap
      const lost = Number(view.getBigUint64(page + ((start + 8) & mask), HOST_LITTLE_ENDIAN));
      this.stats.discarded += lost;
      this.emit('lost', lost, r.cpu);
    }
    return false;
  }

  /** A view of `len` bytes at data offset `start`, copied where they wrap the data area's end. */
  #sample(r: CpuRing, start: number, len: number): Uint8Array {
    const page = this.#page;
    const size = this.#dataSize;
    if (start + len <= size) return r.bytes.subarray(page + start, page + start + len);
    if (this.#scratch.byteLength < len) this.#scratch = new Uint8Array(len * 2);
    const first = size - start;
    this.#scratch.set(r.bytes.subarray(page + start, page + size), 0);
    this.#scratch.set(r.bytes.subarray(page, page + len - first), first);
    return this.#scratch.subarray(0, len);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Removes the events from the map, unmaps and closes them; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closePerfRings(this.#map, this.#rings);
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
