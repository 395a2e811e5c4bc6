/** @internal Decodes and delivers at most `limit` ready records into `cb`; @returns how many. */
export type DecodeInto<T> = (cb: (event: T) => void, limit: number) => number;

/** @internal What the decoded-event iterator waits with: the reader's RecordStream. */
export interface EventWaits {
  readable(signal?: AbortSignal): Promise<boolean>;
  hold(): () => void;
}

// The value the last decode delivered, stored by one callback shared by every iterator (a decode
// is synchronous, and its value is taken at once): the drain's copy inlines one function for
// good. A callback made per iterator (a closure, or a method bound to it) is embedded weakly in
// the optimized drain, which is thrown away when a GC collects a finished iterator's callback:
// twice the time a step with an iterator made per drain.
let delivered: unknown;
const take = (event: unknown): void => {
  delivered = event;
};

// The result of every step after the end: frozen, so that one object serves every iterator.
const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * @internal `for await` over decoded events: each step decodes the next ready record in place
 * (no copy, no read-ahead: a `break` leaves every later record in the reader), and waits for
 * the poller only when none is ready. A class, as the record iterator (record-iterator.ts):
 * one shared `next()` that V8 inlines, and the decoded value handed over in a field rather than
 * through a closure's context.
 */
export class EventIterator<T> implements AsyncIterableIterator<T> {
  readonly #source: { readonly closed: boolean };
  readonly #waits: EventWaits;
  readonly #decode: DecodeInto<T>;
  readonly #signal: AbortSignal | undefined;
  #done = false;
  // Taken at the first wait, given back when the iteration ends (a break, close, abort).
  #held: (() => void) | undefined;

  constructor(
    source: { readonly closed: boolean },
    waits: EventWaits,
    decode: DecodeInto<T>,
    signal: AbortSignal | undefined,
  ) {
    this.#source = source;
    this.#waits = waits;
    this.#decode = decode;
    this.#signal = signal;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#done || this.#source.closed || this.#signal?.aborted === true) return this.#end();
    if (this.#decode(take, 1) === 1) return Promise.resolve(this.#result());
    return this.#wait();
  }

  return(): Promise<IteratorResult<T>> {
    return this.#end();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #result(): IteratorResult<T> {
    const value = delivered as T;
    delivered = undefined;
    return { value, done: false };
  }

  // Waits until a record is ready (then decodes it), or the reader closes or the signal aborts.
  async #wait(): Promise<IteratorResult<T>> {
    this.#held ??= this.#waits.hold();
    for (;;) {
      if (!(await this.#waits.readable(this.#signal))) return this.#end();
      if (this.#done || this.#source.closed) return this.#end();
      // another consumer took what woke us (or it was a discarded record): wait again
      if (this.#decode(take, 1) === 1) return this.#result();
    }
  }

  #end(): Promise<IteratorResult<T>> {
    this.#done = true;
    const held = this.#held;
    this.#held = undefined;
    held?.();
    return Promise.resolve(DONE);
  }
}
