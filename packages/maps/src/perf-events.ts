import { PerfRecord } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import type { Codec } from './codecs/codec.js';
import { type DrainStop, eventTooShort, recordCodecError } from './event-stream.js';
import { FeedbackCopies } from './feedback-copy.js';
import { CorruptRecordError } from './reader-errors.js';
import type { ReaderStats } from './reader-types.js';
import { DrainForm } from './ring-events.js';
import { readPosition, writePosition } from './ring-layout.js';

/** @internal One CPU's perf ring as the drain reads it. */
export interface PerfRing {
  readonly cpu: number;
  /** The mapping: the perf_event_mmap_page, then the data area. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** data_head and data_tail as u32 halves (perf_event_mmap_page bytes 1024..1040). */
  readonly meta: Uint32Array;
  /** The tail position read so far (written to `meta` at the end of each drain). */
  tail: number;
  /** The head position the one-sample take last read (see perf-event-take.ts). */
  head: number;
}

/**
 * @internal What the perf drain needs of its reader: plain data and a few calls, so that the
 * drain's loop can be copied per codec (see feedback-copy.ts).
 */
export interface PerfDrainReader {
  /** How messages name the reader. */
  readonly name: string;
  /** Offset of the data area in each mapping (one page), and its size in bytes. */
  readonly page: number;
  readonly size: number;
  /** True once the reader closed. */
  readonly closed: boolean;
  readonly stats: ReaderStats;
  /** Copies a payload that wraps the data area's end: @returns a view with it at offset 0. */
  unwrap(r: PerfRing, start: number, len: number): DataView;
  /** Reports `count` samples the kernel lost on `cpu`. */
  lost(count: number, cpu: number): void;
  /** Every CPU's ring, and the one the one-sample take reads (see perf-event-take.ts). */
  readonly rings: readonly PerfRing[];
  current: number;
}

/** Delivers at most `limit` samples of one CPU's ring to `cb`, stopping once `until` closed. */
export type PerfEventDrain<T> = (
  r: PerfRing,
  cb: (sample: T, cpu: number) => void,
  limit: number,
  until: DrainStop | undefined,
) => number;

// The key of the copies that deliver raw views (no codec).
const RAW = {};

/**
 * The drain of `reader`'s samples decoded by `codec` (or, without one, as views of their bytes
 * valid during the callback), for one reader form: a copy of the loop per codec and form (see
 * feedback-copy.ts).
 */
export function perfEventDrain<T>(
  reader: PerfDrainReader,
  codec: Codec<T> | undefined,
  form: DrainForm,
): PerfEventDrain<T> {
  const drain = copies.get(codec ?? RAW, form) as typeof drainPerfRingWith<T>;
  return (r, cb, limit, until) => drain(reader, r, codec, cb, limit, until, HELPERS);
}

/** @internal What the drain (and the take) use from this module, handed in: they have no free variables. */
export const HELPERS = {
  LE: HOST_LITTLE_ENDIAN,
  ORDER: HOST_BYTE_ORDER,
  SAMPLE: PerfRecord.SAMPLE,
  LOST: PerfRecord.LOST,
  readPosition,
  writePosition,
  eventTooShort,
  recordCodecError,
  corrupt,
};

/**
 * @internal Drains one CPU's ring into `cb`: each sample decoded by `codec`, or (without one) as a view
 * of its bytes valid during the call; stops early once the reader or `until` closed. Runs as a
 * copy per codec and form: it reads nothing but its parameters. @returns the samples delivered.
 */
export function drainPerfRingWith<T>(
  reader: PerfDrainReader,
  r: PerfRing,
  codec: Codec<T> | undefined,
  cb: (sample: T, cpu: number) => void,
  limit: number,
  until: DrainStop | undefined,
  h: typeof HELPERS,
): number {
  const { LE, ORDER, SAMPLE, LOST } = h;
  // Records are 8-byte aligned and the data area a multiple of 8 bytes, so a record's header
  // and a sample's size word never wrap: they are read in place. Only a sample's payload
  // may wrap (then it is copied into scratch). Ring positions are u64s, masked as int32 (the
  // data size divides 2^32, so the low bits are the same).
  const head = h.readPosition(r.meta);
  const view = r.view;
  const page = reader.page;
  const size = reader.size;
  const mask = size - 1;
  const need = codec === undefined ? 0 : codec.size;
  let tail = r.tail;
  let n = 0;
  let bytes = 0;
  // True while `cb` (or a lost count's listener) runs: what it throws is its own.
  let inCallback = false;
  // The tail is written once, after the drain (as libbpf does), also when a callback or the
  // codec throws: a sample counts as consumed once delivered or refused.
  try {
    while (tail < head && n < limit) {
      const at = page + (tail & mask);
      const type = view.getUint32(at, LE);
      const recordSize = view.getUint16(at + 6, LE);
      if (recordSize < 8 || tail + recordSize > head) throw h.corrupt(reader, r, recordSize, head - tail, -1);
      const body = tail + 8;
      tail += recordSize;
      if (type === SAMPLE) {
        const len = view.getUint32(page + (body & mask), LE);
        if (len > recordSize - 12) throw h.corrupt(reader, r, recordSize, head - tail, len);
        if (codec !== undefined && len < need) throw h.eventTooShort(codec, len, reader.name);
        const start = (body + 4) & mask;
        const inPlace = start + len <= size;
        const from = inPlace ? view : reader.unwrap(r, start, len);
        const offset = inPlace ? page + start : 0;
        const sample =
          codec === undefined
            ? (new Uint8Array(from.buffer, from.byteOffset + offset, len) as T)
            : codec.read(from, offset, ORDER);
        n++;
        bytes += len;
        inCallback = true;
        cb(sample, r.cpu);
        inCallback = false;
        if (reader.closed || until?.closed === true) break;
      } else if (type === LOST) {
        // struct { u64 id; u64 lost; }: the count, u64-aligned, cannot wrap either
        inCallback = true;
        reader.lost(Number(view.getBigUint64(page + ((body + 8) & mask), LE)), r.cpu);
        inCallback = false;
      }
    }
  } catch (error) {
    // Thrown by the codec (before the callback), which the reader names; the callback's (or a
    // lost-count listener's) pass as they are, marked so.
    if (!inCallback) throw h.recordCodecError(error, reader.name);
    if (until !== undefined) until.callbackThrew = true;
    throw error;
  } finally {
    reader.stats.records += n;
    reader.stats.bytes += bytes;
    // written only when it moved: the page is shared with the kernel's writer on that CPU
    if (tail !== r.tail) {
      r.tail = tail;
      h.writePosition(r.meta, 2, tail);
    }
  }
  return n;
}

const copies = new FeedbackCopies(drainPerfRingWith, 'perf-events', Object.keys(DrainForm).length);

/** A record header (or, with `sample` ≥ 0, a sample's size word) that cannot be right. */
function corrupt(
  reader: PerfDrainReader,
  r: PerfRing,
  size: number,
  written: number,
  sample: number,
): CorruptRecordError {
  const what =
    sample >= 0
      ? `perf sample of ${sample} bytes in a ${size}-byte record`
      : size < 8
        ? `perf record of ${size} bytes (its header alone is 8)`
        : `perf record of ${size} bytes with only ${written} written`;
  return new CorruptRecordError(reader.name, r.cpu, size, what);
}
