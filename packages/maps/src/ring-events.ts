import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { Codec } from './codecs/codec.js';
import { ReaderStateError } from './errors.js';
import { eventTooShort } from './event-stream.js';
import { FeedbackCopies } from './feedback-copy.js';
import * as layout from './ring-layout.js';

const { BUSY, DISCARD, HEADER, LEN_MASK, loadWord, readPosition, recordSpan, writePosition } = layout;

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
  /** Checks that the reader can drain now (open, nothing held or read ahead) and marks it draining. */
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

/** @internal Which reader form runs a drain: each form gets its own copy per codec (its own callbacks). */
export const DrainForm = { consume: 0, iterator: 1, subscription: 2 } as const;
/** @internal One of {@link DrainForm}'s values. */
export type DrainForm = (typeof DrainForm)[keyof typeof DrainForm];

/** Delivers at most `limit` decoded records to `cb`, stopping once `until` is closed. */
export type RingEventDrain<T> = (
  cb: (event: T) => void,
  limit: number,
  until: { readonly closed: boolean } | undefined,
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
  loadWord,
  readPosition,
  recordSpan,
  commitPosition,
  eventTooShort,
  checkSpan,
};

/**
 * @internal Decodes and delivers the ready records of a ring buffer: `codec`'s value of each record,
 * read in place, then the record's space given back before `cb` (as libbpf does after each
 * callback), at most `limit` of them, stopping early once the reader or `until` (a
 * subscription its callback closed) is closed. A record shorter than the codec, or one the
 * codec refuses, is consumed and its error thrown. Runs as a copy per codec and form (see
 * feedback-copy.ts): it reads nothing but its parameters. @returns the number delivered.
 */
export function drainRingEventsWith<T>(
  ring: EventRing,
  codec: Codec<T>,
  cb: (event: T) => void,
  limit: number,
  until: { readonly closed: boolean } | undefined,
  h: typeof HELPERS,
): number {
  const { BUSY, DISCARD, HEADER, LEN_MASK, ORDER, loadWord, readPosition, recordSpan, commitPosition } = h;
  ring.begin();
  let pos = ring.cons;
  const words = ring.words;
  const data = ring.view;
  const need = codec.size;
  const page = ring.page;
  const mask = ring.mask;
  let prod = ring.prod;
  let n = 0;
  let bytes = 0;
  let discarded = 0;
  try {
    while (n < limit) {
      if (pos >= prod) {
        prod = readPosition(words);
        ring.prod = prod;
        if (pos >= prod) break;
      }
      const at = page + (pos & mask);
      const word = loadWord(words, at >>> 2);
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      const next = pos + recordSpan(len);
      if (next > prod) prod = h.checkSpan(ring, pos, next);
      if (word & DISCARD) {
        discarded++;
        pos = next;
        continue;
      }
      // Counted as consumed from here: a record the codec cannot decode is not read again.
      pos = next;
      if (len < need) throw h.eventTooShort(codec, len, ring.name);
      const event = codec.read(data, at + HEADER, ORDER);
      // Given back before the callback: the value no longer needs the ring.
      commitPosition(ring, pos);
      n++;
      bytes += len;
      cb(event);
      if (ring.closed || until?.closed === true) break;
    }
  } finally {
    // discarded records after the last delivered one, and a record that failed to decode
    ring.end(n, bytes, discarded);
    if (!ring.closed) commitPosition(ring, pos);
  }
  return n;
}

const copies = new FeedbackCopies(drainRingEventsWith, 'ring-events', Object.keys(DrainForm).length);

// A record header claims more than the producer wrote: the ring is corrupt (or another consumer
// moved the position on). Reads the producer position again before refusing. @returns it.
function checkSpan(ring: EventRing, pos: number, next: number): number {
  const prod = readPosition(ring.words);
  ring.prod = prod;
  if (next > prod || next - pos > ring.size)
    throw new ReaderStateError(
      ring.name,
      `corrupt record header at ring position ${pos}: it spans ${next - pos} bytes, but only ${Math.max(prod - pos, 0)} are written`,
    );
  return prod;
}
