import { ObjectClosedError } from '@ts-ebpf/syscall';
import { RecordView } from './record-view.js';
import * as layout from './ring-layout.js';

// Module-local copies: V8 folds these, where it reads an imported binding through its module
// cell at every use (see ringbuf.ts).
const { BUSY, DISCARD, HEADER, LEN_MASK, loadWord, recordSpan } = layout;

/** @internal What a cursor needs from its ring buffer. */
export interface CursorRing {
  /** Bytes written from ring position `pos` on (the producer position read now), at most one ring. */
  available(pos: number): number;
  /** Offset in the mapping of ring position `pos`. */
  offset(pos: number): number;
  /** Gives back the ring up to `pos`; the hold goes on. */
  giveBack(pos: number): void;
  /** Gives back the ring up to `pos` and ends `cursor`'s hold, counting what was read. */
  release(cursor: RecordCursor, pos: number, records: number, bytes: number, discarded: number): void;
}

/**
 * Walks the ready records of a ring buffer in place, one at a time: `next()` moves to the
 * next record and the cursor itself reads it (`getUint32(offset)` …, as a {@link RecordView}).
 * No copy, no callback and no table: the fastest way to read a ring. Every record passed
 * stays valid, and its space held from the producer, until `commit()` (or disposal) gives
 * them all back; reads after that, or after the ring closed, throw.
 *
 * @example
 * ```ts
 * using cursor = ring.cursor();
 * while (cursor.next()) total += cursor.getUint32(0);
 * ```
 */
export class RecordCursor extends RecordView implements Disposable {
  readonly #words: Uint32Array;
  readonly #ring: CursorRing;
  readonly #state: { closed: boolean };
  // Records are walked by offset in the mapping (a small integer, where a ring position
  // outgrows int32 arithmetic). The data area is mapped twice in a row, so offsets run on from
  // `#first` (ring position `#start`) without wrapping, as long as the window stays within one
  // ring size: it starts anew wherever the producer position is read again.
  #first: number;
  #start: number;
  #at: number;
  #end: number; // where the known records end; -1 once the cursor is not held
  #records = 0;
  #bytes = 0;
  #discarded = 0;
  #held = true;

  /** @internal `first` is the offset in the mapping of ring position `start`. */
  constructor(
    data: DataView,
    words: Uint32Array,
    ring: CursorRing,
    start: number,
    first: number,
    end: number,
  ) {
    const state = { closed: false };
    super(data, state);
    this.#state = state;
    this.#words = words;
    this.#ring = ring;
    this.#start = start;
    this.#first = first;
    this.#at = first;
    this.#end = end >>> 0;
    this.reset(first, 0);
  }

  /**
   * Moves to the next ready record (discarded ones are skipped and counted).
   * @returns false when no more are ready; call again later for records written since.
   */
  next(): boolean {
    const words = this.#words;
    let at = this.#at;
    for (;;) {
      if (at >= this.#end) {
        const more = this.#more(at); // starts a new window at `at`
        at = this.#at;
        if (!more) break;
      }
      const word = loadWord(words, at >>> 2);
      if (word & BUSY) break;
      const len = word & LEN_MASK;
      const record = at + HEADER;
      at += recordSpan(len);
      if (word & DISCARD) {
        this.#discarded++;
        continue;
      }
      this.#at = at;
      this.#records++;
      this.#bytes += len;
      this.reset(record, len);
      return true;
    }
    this.#at = at;
    this.reset(at, 0);
    return false;
  }

  // Re-reads the producer position once the known records are used up. A cursor that is no
  // longer held has no known records (`#end` -1), so this is also where `next()` throws then.
  #more(at: number): boolean {
    if (this.#state.closed) throw new ObjectClosedError('record cursor (committed, or its ring closed)');
    const pos = this.#start + (at - this.#first);
    const first = this.#ring.offset(pos);
    this.#start = pos;
    this.#at = this.#first = first;
    // an integer (< 2^32: the mapping is at most 2 GiB + a page), never a fraction-typed double
    this.#end = (first + this.#ring.available(pos)) >>> 0;
    return first < this.#end;
  }

  /** Records passed so far. */
  get count(): number {
    return this.#records;
  }

  /** True until `commit()`. */
  get held(): boolean {
    return this.#held;
  }

  /** @internal The ring closed: the records are gone. */
  revoke(): void {
    this.#state.closed = true;
    this.#end = -1;
  }

  /** Gives the space of every record passed back to the producer and ends the cursor; idempotent. */
  commit(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#state.closed = true;
    this.#end = -1;
    this.#ring.release(this, this.#position(), this.#records, this.#bytes, this.#discarded);
  }

  /**
   * @internal Gives back the space of the records passed so far, the current one included,
   * and goes on: the producer may reuse it, so the current record must not be read again.
   */
  release(): void {
    this.#ring.giveBack(this.#position());
  }

  /** The ring position after the records passed so far. */
  #position(): number {
    return this.#start + (this.#at - this.#first);
  }

  [Symbol.dispose](): void {
    this.commit();
  }
}
