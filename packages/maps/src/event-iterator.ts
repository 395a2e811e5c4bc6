import type { ConsumeEvents, EventSource } from './event-stream.js';
import { type IteratorWakeups, NONE, WaitingIterator } from './waiting-iterator.js';

// The value the last decode delivered, stored by one callback shared by every iterator (a decode
// is synchronous, and its value is taken at once): the drain's copy inlines one function for
// good. A callback made per iterator (a closure, or a method bound to it) is embedded weakly in
// the optimized drain, which is thrown away when a GC collects a finished iterator's callback:
// twice the time a step with an iterator made per drain.
let delivered: unknown;
const deliver = (event: unknown): void => {
  delivered = event;
};

/**
 * @internal `for await` over decoded events: each step decodes the next ready record in place
 * (no copy, no read-ahead: a `break` leaves every later record in the reader), waiting for the
 * poller only when none is ready (see waiting-iterator.ts).
 */
export class EventIterator<T> extends WaitingIterator<T> {
  readonly #source: EventSource;
  readonly #decode: ConsumeEvents<T>;

  constructor(
    source: EventSource,
    wakeups: IteratorWakeups,
    decode: ConsumeEvents<T>,
    signal: AbortSignal | undefined,
  ) {
    super(wakeups, signal);
    this.#source = source;
    this.#decode = decode;
  }

  protected get sourceClosed(): boolean {
    return this.#source.closed;
  }

  protected take(): T | typeof NONE {
    if (this.#decode(deliver, 1) !== 1) return NONE;
    const value = delivered as T;
    delivered = undefined;
    return value;
  }
}
