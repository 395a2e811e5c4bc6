import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { Codec } from './codecs/codec.js';
import { ReaderStateError } from './errors.js';
import { eventTooShort } from './event-stream.js';
import * as layout from './ring-layout.js';

// Module-local copies: V8 folds these, where it reads an imported binding through its module
// cell at every use (see ringbuf.ts).
const { BUSY, DISCARD, HEADER, LEN_MASK, loadWord, recordSpan } = layout;

// Records are written by programs on this host (module-local: V8 folds it in the loop).
const ORDER = HOST_BYTE_ORDER;

/**
 * @internal What a ring buffer reader lends the decoded-event drain: its mapping, its consumer
 * and producer positions, and its bookkeeping. One per reader (optimized code that calls a
 * closure keeps it weakly, and is deoptimized when a GC collects it).
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
  /** True once the reader closed. */
  isClosed(): boolean;
  /** Checks that the reader can drain now and marks it draining; @returns the consumer position. */
  begin(): number;
  /** The producer position: the one known so far, or read now when `reread`. */
  producer(reread: boolean): number;
  /** Gives the ring back up to position `pos`. */
  commit(pos: number): void;
  /** Ends a drain: counts what it delivered and skipped, and gives back up to `pos` unless closed. */
  end(pos: number, records: number, bytes: number, discarded: number): void;
}

/**
 * Decodes and delivers the ready records of a ring buffer: `codec`'s value of each record,
 * read in place, then the record's space given back before `cb` (as libbpf does after each
 * callback), at most `limit` of them, stopping early once the reader or `until` (a
 * subscription its callback closed) is closed. A record shorter than the codec, or one the
 * codec refuses, is consumed and its error thrown. @returns the number delivered.
 */
export function drainRingEvents<T>(
  ring: EventRing,
  codec: Codec<T>,
  cb: (event: T) => void,
  limit: number,
  until: { readonly closed: boolean } | undefined,
): number {
  let pos = ring.begin();
  const words = ring.words;
  const data = ring.view;
  const need = codec.size;
  const page = ring.page;
  const mask = ring.mask;
  let prod = ring.producer(false);
  let n = 0;
  let bytes = 0;
  let discarded = 0;
  try {
    while (n < limit) {
      if (pos >= prod) {
        prod = ring.producer(true);
        if (pos >= prod) break;
      }
      const at = page + (pos & mask);
      const word = loadWord(words, at >>> 2);
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      const next = pos + recordSpan(len);
      if (next > prod) prod = checkSpan(ring, pos, next);
      if (word & DISCARD) {
        discarded++;
        pos = next;
        continue;
      }
      // Counted as consumed from here: a record the codec cannot decode is not read again.
      pos = next;
      if (len < need) throw eventTooShort(codec, len, ring.name);
      const event = codec.read(data, at + HEADER, ORDER);
      // Given back before the callback: the value no longer needs the ring.
      ring.commit(pos);
      n++;
      bytes += len;
      cb(event);
      if (ring.isClosed() || until?.closed === true) break;
    }
  } finally {
    // discarded records after the last delivered one, and a record that failed to decode
    ring.end(pos, n, bytes, discarded);
  }
  return n;
}

// A record header claims more than the producer wrote: the ring is corrupt (or another consumer
// moved the position on). Reads the producer position again before refusing. @returns it.
function checkSpan(ring: EventRing, pos: number, next: number): number {
  const prod = ring.producer(true);
  if (next > prod || next - pos > ring.size)
    throw new ReaderStateError(
      ring.name,
      `corrupt record header at ring position ${pos}: it spans ${next - pos} bytes, but only ${Math.max(prod - pos, 0)} are written`,
    );
  return prod;
}
