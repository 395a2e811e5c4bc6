import type { ConsumeEvents, EventSource } from './event-stream.js';
import { type IteratorWakeups, NONE, WaitingIterator } from './waiting-iterator.js';

// The value the last decode delivered, stored by one callback shared by every take (a decode
// is synchronous, and its value is taken at once): the drain's copy inlines one function for
// good. A callback made per iterator (a closure, or a method bound to it) is embedded weakly in
// the optimized drain, which is thrown away when a GC collects a finished iterator's callback:
// twice the time a step with an iterator made per drain.
let delivered: unknown;
const deliver = (event: unknown): void => {
  delivered = event;
};

/** @internal A one-record take made of a drain: the drain run with a limit of one. */
export function takeOneOf<T>(decode: ConsumeEvents<T>): () => T | typeof NONE {
  return () => {
    if (decode(deliver, 1) !== 1) return NONE;
    const value = delivered as T;
    delivered = undefined;
    return value;
  };
}

/**
 * @internal `for await` over decoded events: each step takes the next ready record, decoded in
 * place (no copy, no read-ahead: a `break` leaves every later record in the reader), waiting for
 * the poller only when none is ready (see waiting-iterator.ts).
 */
export class EventIterator<T> extends WaitingIterator<T> {
  readonly #source: EventSource;
  readonly #take: () => T | typeof NONE;

  constructor(
    source: EventSource,
    wakeups: IteratorWakeups,
    take: () => T | typeof NONE,
    signal: AbortSignal | undefined,
  ) {
    super(wakeups, signal);
    this.#source = source;
    this.#take = take;
  }

  protected get sourceClosed(): boolean {
    return this.#source.closed;
  }

  protected take(): T | typeof NONE {
    return this.#take();
  }
}
