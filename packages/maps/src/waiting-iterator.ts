/** @internal The reader's wake-ups, as its RecordStream offers them. */
export interface IteratorWakeups {
  readable(signal?: AbortSignal): Promise<boolean>;
  hold(): () => void;
}

/** @internal What {@link WaitingIterator.take} returns when nothing is ready. */
export const NONE: unique symbol = Symbol('nothing ready');

// The result of every step after the end: frozen, so that one object serves every iterator.
const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * @internal An async iterator over what a reader has ready (`for await (const rec of ring)`,
 * `events(codec)`): each step takes the next ready value ({@link WaitingIterator.take}), and
 * waits for the poller only when none is ready. A class, not an object of closures: one shared
 * `next()` that V8 inlines into the loop, and a step allocates only its result and its promise
 * (closures over an iterator's state cost more a step; see bench/ring.bench.ts's await floors).
 */
export abstract class WaitingIterator<T> implements AsyncIterableIterator<T> {
  readonly #wakeups: IteratorWakeups;
  readonly #signal: AbortSignal | undefined;
  #done = false;
  // Taken at the first wait, given back when the iteration ends (a break, close, abort): the
  // reader's fd stays watched between waits instead of being added to the poller anew.
  #held: (() => void) | undefined;
  // Made at the first wait: what a wait listens to. Aborted when the iteration ends, so that a
  // step still waiting then settles at once (done) instead of at the reader's next notification;
  // the caller's signal aborts it too, through a listener added for each wait.
  #stop: AbortController | undefined;
  readonly #onAbort = () => this.#stop?.abort();
  // The last step asked for while a step waits, until it settles: a next() called meanwhile runs
  // after it, so that steps settle in the order they were asked for.
  #last: Promise<IteratorResult<T>> | undefined;

  constructor(wakeups: IteratorWakeups, signal: AbortSignal | undefined) {
    this.#wakeups = wakeups;
    this.#signal = signal;
  }

  /** True once the reader closed. */
  protected abstract get sourceClosed(): boolean;

  /** The next ready value, taken from the reader, or {@link NONE}. */
  protected abstract take(): T | typeof NONE;

  next(): Promise<IteratorResult<T>> {
    const last = this.#last;
    if (last !== undefined) return this.#queue(last.then(this.#queuedStep, this.#queuedStep));
    const step = this.#step();
    // a wait: later steps run after it
    return step === undefined ? this.#queue(this.#wait()) : step;
  }

  // A step asked for while another waited, run once that one settled: its own wait, if it
  // needs one, is what its queued promise settles with.
  readonly #queuedStep = (): Promise<IteratorResult<T>> => this.#step() ?? this.#wait();

  // A step that needs no wait (a ready value, the end, a failure), or undefined when it does.
  #step(): Promise<IteratorResult<T>> | undefined {
    if (this.#done || this.sourceClosed || this.#signal?.aborted === true) return this.#end();
    let value: T | typeof NONE;
    try {
      value = this.take();
    } catch (error) {
      return this.#fail(error);
    }
    return value === NONE ? undefined : Promise.resolve({ value, done: false });
  }

  // Makes `step` the last one asked for, until it settles.
  #queue(step: Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    this.#last = step;
    const settled = () => {
      if (this.#last === step) this.#last = undefined;
    };
    step.then(settled, settled);
    return step;
  }

  return(): Promise<IteratorResult<T>> {
    return this.#end();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // Waits until a value is ready (then takes it), or the reader closes, the signal aborts or the
  // iteration ends.
  async #wait(): Promise<IteratorResult<T>> {
    this.#held ??= this.#wakeups.hold();
    this.#stop ??= new AbortController();
    const stop = this.#stop;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    try {
      for (;;) {
        let open: boolean;
        try {
          open = await this.#wakeups.readable(stop.signal);
        } catch (error) {
          // the wait could not begin (its fd could not be watched: out of descriptors, say)
          return this.#fail(error);
        }
        if (!open) return this.#end();
        // the step (or the end, by return() or the reader's close, meanwhile); none when another
        // consumer of the reader took what woke us (or it was a discarded record): wait again
        const step = this.#step();
        if (step !== undefined) return step;
      }
    } finally {
      this.#signal?.removeEventListener('abort', this.#onAbort);
    }
  }

  // A take that threw (a record the codec refused, a corrupt ring) ends the iteration, as a throw
  // ends a generator's: `for await` calls no return() after a rejected step, so the reader's
  // wake-ups are given back here. The step rejects; the reader stays open.
  #fail(error: unknown): Promise<never> {
    void this.#end();
    return Promise.reject(error);
  }

  #end(): Promise<IteratorResult<T>> {
    this.#done = true;
    const held = this.#held;
    this.#held = undefined;
    held?.();
    this.#stop?.abort();
    return Promise.resolve(DONE);
  }
}
