import { PerfRecord, pageSize } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { CorruptRecordError, ReaderClosedError, ReaderStateError } from './errors.js';
import { mapOfType } from './map-open.js';
import { MapType } from './map-types.js';
import { PerfRingReader } from './perf-reader-base.js';
import { type CpuRing, closePerfRings, openPerfRings, perfDataSize } from './perf-rings.js';
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
  readonly #mapFd: number;
  readonly #dataSize: number;
  readonly #page = pageSize();
  // Per ring (by index): the bytes written by the kernel up to the previous read.
  readonly #read: number[] = [];
  #scratch = new Uint8Array(256);
  #closed = false;
  readonly #name: string;
  /** Counters: `discarded` is the number of samples the kernel reported lost (output while paused). */
  readonly stats: ReaderStats = { records: 0, bytes: 0, discarded: 0 };

  private constructor(map: { readonly fd: number }, name: string, o: OverwritablePerfBufferOptions) {
    const dataSize = perfDataSize(o.pages ?? 8, name);
    super(dataSize);
    this.#name = name;
    this.#mapFd = map.fd;
    this.#dataSize = dataSize;
    try {
      openPerfRings(map.fd, name, { pages: o.pages ?? 8, cpus: o.cpus, overwritable: true }, this.#rings);
    } catch (e) {
      closePerfRings(this.#mapFd, this.#rings);
      throw e;
    }
    for (const r of this.#rings) this.#read.push(this.#written(r));
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
   * one ring size back were overwritten. @returns the number of samples.
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
    const size = this.#dataSize;
    const mask = size - 1;
    const page = this.#page;
    const view = r.view;
    const written = this.#written(r);
    // The newest record starts at data_head; records from there on were written since the previous
    // read, up to one ring size (beyond it, the oldest were overwritten by the newest).
    const fresh = Math.min(written - this.#read[i]!, size);
    this.#read[i] = written;
    const start = -written;
    let n = 0;
    let bytes = 0;
    let at = 0;
    try {
      while (at < fresh) {
        const offset = page + ((start + at) & mask);
        const type = view.getUint32(offset, HOST_LITTLE_ENDIAN);
        const recordSize = view.getUint16(offset + 6, HOST_LITTLE_ENDIAN);
        if (recordSize < 8 || recordSize % 8 !== 0)
          throw new CorruptRecordError(this.#name, r.cpu, recordSize, `perf record of ${recordSize} bytes`);
        // the oldest record, partly overwritten by the newest
        if (at + recordSize > fresh) break;
        const body = start + at + 8;
        at += recordSize;
        if (type === PerfRecord.SAMPLE) {
          const len = view.getUint32(page + (body & mask), HOST_LITTLE_ENDIAN);
          if (len > recordSize - 12)
            throw new CorruptRecordError(
              this.#name,
              r.cpu,
              recordSize,
              `perf sample of ${len} bytes in a ${recordSize}-byte record`,
            );
          n++;
          bytes += len;
          cb(this.#sample(r, (body + 4) & mask, len), r.cpu);
          if (this.#closed) break;
        } else if (type === PerfRecord.LOST) {
          // struct { u64 id; u64 lost; }, u64-aligned: it does not wrap
          const lost = Number(view.getBigUint64(page + ((body + 8) & mask), HOST_LITTLE_ENDIAN));
          this.stats.discarded += lost;
          this.emit('lost', lost, r.cpu);
        }
      }
    } finally {
      this.stats.records += n;
      this.stats.bytes += bytes;
    }
    return n;
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
    closePerfRings(this.#mapFd, this.#rings);
    this.emit('close');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
