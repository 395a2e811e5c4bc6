/** @internal What a record iterator reads: a reader's next copied record, and whether it closed. */
export interface IteratedReader {
  readonly closed: boolean;
  readOne(): Uint8Array | undefined;
}

/** @internal The reader's wake-ups, as its RecordStream offers them. */
export interface IteratorWakeups {
  readable(signal?: AbortSignal): Promise<boolean>;
  hold(): () => void;
}

// The result of every step after the end: frozen, so that one object serves every iterator.
const DONE: IteratorResult<Uint8Array> = Object.freeze({ value: undefined, done: true });

/**
 * @internal `for await (const rec of reader)`: each step takes the reader's next copied record
 * (`readOne()`), and waits for the poller only when none is ready. A class, not an object of
 * closures: its `next()` is one shared, monomorphic function that V8 inlines into the loop's
 * await, and a step allocates only its result and its promise (closures over an iterator's
 * state cost ~40 % more a step; see bench/ring.bench.ts's for-await floors).
 */
export class RecordIterator implements AsyncIterableIterator<Uint8Array> {
  readonly #reader: IteratedReader;
  readonly #wakeups: IteratorWakeups;
  readonly #signal: AbortSignal | undefined;
  #done = false;
  // Taken at the first wait, given back when the iteration ends (a break, close, abort): the
  // reader's fd stays watched between waits instead of being added to the poller anew.
  #held: (() => void) | undefined;

  constructor(reader: IteratedReader, wakeups: IteratorWakeups, signal: AbortSignal | undefined) {
    this.#reader = reader;
    this.#wakeups = wakeups;
    this.#signal = signal;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#done || this.#reader.closed || this.#signal?.aborted === true) return this.#end();
    const rec = this.#reader.readOne();
    if (rec !== undefined) return Promise.resolve({ value: rec, done: false });
    return this.#wait();
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    return this.#end();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Waits until a record is ready (then takes it), or the reader closes or the signal aborts.
  async #wait(): Promise<IteratorResult<Uint8Array>> {
    this.#held ??= this.#wakeups.hold();
    for (;;) {
      if (!(await this.#wakeups.readable(this.#signal))) return this.#end();
      // closed meanwhile by return(), or by the reader's close
      if (this.#done || this.#reader.closed) return this.#end();
      const rec = this.#reader.readOne();
      // another consumer of the reader took what woke us: wait again
      if (rec !== undefined) return { value: rec, done: false };
    }
  }

  #end(): Promise<IteratorResult<Uint8Array>> {
    this.#done = true;
    const held = this.#held;
    this.#held = undefined;
    held?.();
    return Promise.resolve(DONE);
  }
}
