import type { EventSource } from './event-stream.js';
import { type IteratorWakeups, type NONE, WaitingIterator } from './waiting-iterator.js';

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
