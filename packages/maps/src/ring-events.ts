import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { Codec } from './codecs/codec.js';
import { type DrainStop, eventTooShort, recordCodecError } from './event-stream.js';
import { FeedbackCopies } from './feedback-copy.js';
import { ReaderStateError } from './reader-errors.js';
import * as layout from './ring-layout.js';
import { NONE } from './waiting-iterator.js';

const {
  BUSY,
  DISCARD,
  HEADER,
  LEN_MASK,
  POSITION_LOW,
  loadWord,
  low32,
  nextHigh,
  readPosition,
  recordSpan,
  storeWord,
  writePosition,
} = layout;

// Records are written by programs on this host.
const ORDER = HOST_BYTE_ORDER;

/**
 * @internal A ring buffer reader's positions and mapping, shared with the decoded-event drain:
 * plain data, so that the drain's loop (shared by every reader of a codec) reads and moves them
 * without a call to a closure of one reader (which V8 could not inline once there are several).
 */
export interface EventRing {
  /** How messages name the reader. */
  readonly name: string;
  /** The data mapping (producer page, then the data area mapped twice) as words, and as a view. */
  readonly words: Uint32Array;
  readonly view: DataView;
  /** Offset of the data area in the mapping (one page), and the data size - 1. */
  readonly page: number;
  readonly mask: number;
  /** Data area size in bytes. */
  readonly size: number;
  /** The consumer position word pair in the consumer page (read-write, the kernel reads it). */
  readonly consPos: Uint32Array;
  /** The consumer position, and the producer position known so far. */
  cons: number;
  prod: number;
  /** True once the reader closed. */
  closed: boolean;
  /** Checks that the reader can be read now: open, no lease, cursor or drain in progress, nothing read ahead. */
  ready(): void;
  /** Checks as {@link EventRing.ready} does and marks the reader draining. */
  begin(): void;
  /** Ends a drain: counts what it delivered and skipped. */
  end(records: number, bytes: number, discarded: number): void;
}

/** Gives the ring back up to position `pos` (never twice: a position behind the consumer's is ignored). */
export function commitPosition(ring: EventRing, pos: number): void {
  if (pos < ring.cons) return;
  ring.cons = pos;
  writePosition(ring.consPos, 0, pos);
}

/**
 * @internal Which reader form runs a drain: each form gets its own copy per codec (its own
 * callbacks). `for await` steps take one record each, through a take of their own.
 */
export const DrainForm = { consume: 0, subscription: 1 } as const;
/** @internal One of {@link DrainForm}'s values. */
export type DrainForm = (typeof DrainForm)[keyof typeof DrainForm];

/** Delivers at most `limit` decoded records to `cb`, stopping once `until` is closed. */
export type RingEventDrain<T> = (
  cb: (event: T) => void,
  limit: number,
  until: DrainStop | undefined,
) => number;

/**
 * The drain of `ring`'s records decoded by `codec`, for one reader form (see
 * {@link drainRingEventsWith}): a copy of the loop per codec and form, so that each inlines its
 * codec's read and its callback (see feedback-copy.ts).
 */
export function ringEventDrain<T>(ring: EventRing, codec: Codec<T>, form: DrainForm): RingEventDrain<T> {
  const drain = copies.get(codec, form) as typeof drainRingEventsWith<T>;
  return (cb, limit, until) => drain(ring, codec, cb, limit, until, HELPERS);
}

/** What the drain uses from this module, handed in: the drain has no free variables. */
const HELPERS = {
  BUSY,
  DISCARD,
  HEADER,
  LEN_MASK,
  ORDER,
  LOW: POSITION_LOW,
  nextHigh,
  low32,
  loadWord,
  storeWord,
  readPosition,
  writePosition,
  recordSpan,
  commitPosition,
  eventTooShort,
  recordCodecError,
  corruptHeader,
  NONE: NONE as typeof NONE,
};

/**
 * @internal Decodes and delivers the ready records of a ring buffer: `codec`'s value of each record,
 * read in place, then the record's space given back before `cb` (as libbpf does after each
 * callback), at most `limit` of them, stopping early once the reader or `until` (a
 * subscription its callback closed) is closed. A record shorter than the codec, or one the
 * codec refuses, is consumed and its error thrown. Runs as a copy per codec and form (see
 * feedback-copy.ts): it reads nothing but its parameters. @returns the number delivered.
 *
 * Records are walked by offset in the mapping, an int32 (where a ring position, a u64, outgrows
 * int32 arithmetic: as doubles, the position and its commit per record cost about 2 ns of a
 * 64-byte record's 12 when the records are in the cache). The data area is mapped twice in a row,
 * so offsets run on without wrapping through a window from `at` (ring position `origin + at`) to
 * `end`, where the records known to be written end (at most one ring size on). A window is opened
 * anew where it is used up, or where the walk passes the first mapping's end (`stop`): so a record
 * starts below page + size, and the window's end (`end`, a record's `next`) stays below
 * page + 2 × size. That is below 2^31 for every ring smaller than 1 GiB; in the last part of a
 * 1 GiB ring it may pass it, and V8 computes those offsets as doubles (slower, still exact). A
 * record's commit stores the low half of its end position (`originLow + at`, wrapped to 32 bits by the store)
 * while the high half stays what the consumer page holds, below offset `cross`; from there on,
 * writePosition writes both.
 */
export function drainRingEventsWith<T>(
  ring: EventRing,
  codec: Codec<T>,
  cb: (event: T) => void,
  limit: number,
  until: DrainStop | undefined,
  h: typeof HELPERS,
): number {
  const { BUSY, DISCARD, HEADER, LEN_MASK, ORDER, LOW, loadWord, storeWord, recordSpan } = h;
  ring.begin();
  const words = ring.words;
  const data = ring.view;
  const consPos = ring.consPos;
  const need = codec.size;
  const page = ring.page;
  const mask = ring.mask;
  const size = ring.size;
  const wrap = page + size;
  // The first position whose high half differs from the consumer page's.
  let crossing = h.nextHigh(ring.cons);
  let origin = ring.cons;
  let at = 0;
  let end = 0;
  let stop = 0; // at >= stop: the first turn of the loop opens a window
  let originLow = 0;
  let cross = 0;
  // The producer position known before may bound the first window; true when the window's end
  // comes from a producer position read for the record at its start.
  let known = true;
  let reread = false;
  let n = 0;
  let bytes = 0;
  let discarded = 0;
  // True while `cb` runs: what it throws is its own.
  let inCallback = false;
  try {
    while (n < limit) {
      if (at >= stop) {
        const pos = origin + at;
        let prod = ring.prod;
        reread = !known || pos >= prod;
        known = false;
        if (reread) {
          prod = h.readPosition(words);
          ring.prod = prod;
          if (pos >= prod) break;
        }
        at = page + (pos & mask);
        origin = pos - at;
        // biome-ignore lint/complexity/useMathMinMax: the drain reads no global (see feedback-copy.ts)
        end = at + (prod - pos < size ? prod - pos : size);
        // biome-ignore lint/complexity/useMathMinMax: as above
        stop = end < wrap ? end : wrap;
        originLow = h.low32(origin);
        cross = crossing - origin <= end ? crossing - origin : end + 1;
      }
      const word = loadWord(words, at >>> 2);
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      const next = at + recordSpan(len);
      if (next > end) {
        // more than the window holds: read the producer position again, with a window from here
        if (reread) throw h.corruptHeader(ring, origin + at, next - at);
        stop = at;
        continue;
      }
      reread = false;
      if (word & DISCARD) {
        discarded++;
        at = next;
        continue;
      }
      // Counted as consumed from here: a record the codec cannot decode is not read again.
      const record = at + HEADER;
      at = next;
      if (len < need) throw h.eventTooShort(codec, len, ring.name);
      const event = codec.read(data, record, ORDER);
      // Given back before the callback: the value no longer needs the ring.
      ring.cons = origin + at;
      if (at < cross) storeWord(consPos, LOW, originLow + at);
      else {
        h.writePosition(consPos, 0, origin + at);
        crossing = h.nextHigh(origin + at);
        cross = crossing - origin <= end ? crossing - origin : end + 1;
      }
      n++;
      bytes += len;
      inCallback = true;
      cb(event);
      inCallback = false;
      if (ring.closed || until?.closed === true) break;
    }
  } catch (error) {
    // The callback's errors pass as they are, marked so; a codec's, the reader names.
    if (!inCallback) throw h.recordCodecError(error, ring.name);
    if (until !== undefined) until.callbackThrew = true;
    throw error;
  } finally {
    // discarded records after the last delivered one, and a record that failed to decode
    ring.end(n, bytes, discarded);
    if (!ring.closed) h.commitPosition(ring, origin + at);
  }
  return n;
}

const copies = new FeedbackCopies(drainRingEventsWith, 'ring-events', Object.keys(DrainForm).length);

/**
 * The one-record take of `ring`'s records decoded by `codec` (see {@link takeRingEventWith}): a
 * copy per codec, as the drains are.
 */
export function ringEventTake<T>(ring: EventRing, codec: Codec<T>): () => T | typeof NONE {
  const take = takes.get(codec, 0) as typeof takeRingEventWith<T>;
  return () => take(ring, codec, HELPERS);
}

/**
 * @internal Decodes the next ready record of a ring buffer and gives its space back, as the drain
 * does for each record ({@link drainRingEventsWith}), for one record: what a `for await` step
 * takes. Entering the drain for one record cost about three times what this costs (its window,
 * its `try`/`finally`, a commit on the way out). Discarded records before it are skipped. A
 * record shorter than the codec, or one the codec refuses, is consumed and its error thrown.
 * Runs as a copy per codec (see feedback-copy.ts). @returns the value, or `h.NONE` when no
 * committed record is ready.
 */
export function takeRingEventWith<T>(ring: EventRing, codec: Codec<T>, h: typeof HELPERS): T | typeof NONE {
  const { BUSY, DISCARD, HEADER, LEN_MASK, ORDER, loadWord, recordSpan } = h;
  ring.ready();
  const words = ring.words;
  let discarded = 0;
  for (;;) {
    const pos = ring.cons;
    let prod = ring.prod;
    if (pos >= prod) {
      prod = h.readPosition(words);
      ring.prod = prod;
      if (pos >= prod) break;
    }
    const at = ring.page + (pos & ring.mask);
    const word = loadWord(words, at >>> 2);
    if (word & BUSY) break;
    const len = word & LEN_MASK;
    const span = recordSpan(len);
    // A record spans at most what was written, and at most one ring size, as in the drain's
    // window: more is read again, then refused.
    if (span > prod - pos || span > ring.size) {
      prod = h.readPosition(words);
      ring.prod = prod;
      if (span > prod - pos || span > ring.size) {
        if (discarded > 0) ring.end(0, 0, discarded);
        throw h.corruptHeader(ring, pos, span);
      }
    }
    const next = pos + span;
    if (word & DISCARD) {
      discarded++;
      h.commitPosition(ring, next);
      continue;
    }
    let event: T;
    try {
      if (len < codec.size) throw h.eventTooShort(codec, len, ring.name);
      event = codec.read(ring.view, at + HEADER, ORDER);
    } catch (error) {
      // consumed, not delivered: it is not read again
      h.commitPosition(ring, next);
      ring.end(0, 0, discarded);
      throw h.recordCodecError(error, ring.name);
    }
    // Given back once decoded: the value no longer needs the ring.
    h.commitPosition(ring, next);
    ring.end(1, len, discarded);
    return event;
  }
  if (discarded > 0) ring.end(0, 0, discarded);
  return h.NONE;
}

const takes = new FeedbackCopies(takeRingEventWith, 'ring-event-take', 1);

// A record header claims more than the producer wrote, read again for it: the ring is corrupt
// (or another consumer moved the position on).
function corruptHeader(ring: EventRing, pos: number, span: number): ReaderStateError {
  return new ReaderStateError(
    ring.name,
    `corrupt record header at ring position ${pos}: it spans ${span} bytes, but only ${Math.max(ring.prod - pos, 0)} are written`,
  );
}
