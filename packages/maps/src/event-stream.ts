import type { Codec } from './codecs/codec.js';
import { CodecError } from './errors.js';
import { EventIterator } from './event-iterator.js';
import { NextTurn } from './next-turn.js';

/**
 * A callback subscription to a reader's decoded events (`ring.onEvent(codec, cb)`): the
 * callback runs for every record as the poller sees it, until `close()`.
 */
export interface EventSubscription extends Disposable {
  /** True once closed (by `close()`, `using`, its abort signal, or the reader closing). */
  readonly closed: boolean;
  /** Stops the callbacks; idempotent. Records not delivered yet stay in the reader. */
  close(): void;
}

/** Options of `events(codec)` and `onEvent(codec, cb)`. */
export interface EventOptions {
  /** Ends the iteration, or closes the subscription, when aborted (the reader stays open). */
  signal?: AbortSignal;
}

/** @internal What a reader offers the decoded-event forms: whether it is closed. */
export interface EventSource {
  readonly closed: boolean;
}

/** @internal Decodes and delivers at most `limit` ready records into `cb`; @returns how many. */
export type ConsumeEvents<T> = (cb: (event: T) => void, limit: number) => number;

/** @internal The reader's wake-ups, as its RecordStream offers them. */
export interface EventWakeups {
  readable(signal?: AbortSignal): Promise<boolean>;
  hold(): () => void;
  subscribe(drain: () => void): () => void;
}

/**
 * Decoded records a subscription's drain delivers per call: a turn of the event loop drains
 * batches of this many while more are ready, for up to {@link EVENT_TURN_MS}.
 */
export const EVENT_BATCH = 4096;

/**
 * How long one turn of the event loop drains a subscription at most (ms): when it is spent and
 * records are still ready, the next turn is scheduled at once (`setImmediate`), so that a fast
 * producer cannot starve the event loop. A batch already begun is finished (a callback that
 * takes 1 µs a record holds a turn for about 4 ms).
 */
export const EVENT_TURN_MS = 1;

/**
 * @internal Checks that a record of `length` bytes can be decoded by `codec` (records longer than
 * the codec are decoded from their start, as a C consumer casts a pointer to its struct).
 */
export function eventTooShort(codec: Codec<unknown>, length: number, reader: string): CodecError {
  return new CodecError(
    codec.name,
    `a ${length}-byte record of the ${reader} is shorter than the ${codec.size} bytes the codec decodes (the record was consumed)`,
  );
}

/**
 * @internal `for await` over decoded events: each step decodes the next ready record in place
 * (no copy, no read-ahead: a `break` leaves every later record in the reader), and waits for
 * the poller only when none is ready.
 */
export function eventIterator<T>(
  source: EventSource,
  wakeups: EventWakeups,
  consume: ConsumeEvents<T>,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<T> {
  return new EventIterator(source, wakeups, consume, signal);
}

/**
 * @internal The callback form: runs `drain` (which delivers at most {@link EVENT_BATCH} decoded
 * records to the subscriber's callback, and returns how many) on every wake-up, again while it
 * delivers full batches, for up to {@link EVENT_TURN_MS} a turn. A turn has a fixed cost (the
 * poller's re-arm and its worker's message, or a `setImmediate`): with one batch a turn, 64-byte
 * records took 3-5 ns more CPU each than with sixteen.
 */
export function eventSubscription(
  source: EventSource,
  wakeups: EventWakeups,
  drain: (subscription: EventSubscription) => number,
  signal: AbortSignal | undefined,
): EventSubscription {
  return new Subscription(source, wakeups, drain, signal);
}

// A class (one hidden class for every subscription, its getter on the prototype): a drain's loop
// reads `closed` after every record, which stays a monomorphic, inlined load however many
// subscriptions it has seen. An object literal with a getter made a new hidden class each time.
class Subscription implements EventSubscription {
  readonly #source: EventSource;
  readonly #signal: AbortSignal | undefined;
  #stop: (() => void) | undefined;
  // The turn scheduled while records were left after one (at most one at a time).
  readonly #next: NextTurn;
  readonly #onAbort = () => this.close();

  constructor(
    source: EventSource,
    wakeups: EventWakeups,
    drain: (subscription: EventSubscription) => number,
    signal: AbortSignal | undefined,
  ) {
    this.#source = source;
    this.#signal = signal;
    const run = (): void => {
      // A wake-up while the next turn is scheduled leaves the records to that turn: one chain
      // of turns per subscription, however often the poller sees the ring still readable.
      if (this.#next.scheduled) return;
      const start = performance.now();
      while (this.#stop !== undefined && !source.closed && drain(this) === EVENT_BATCH) {
        if (performance.now() - start >= EVENT_TURN_MS) {
          this.#next.schedule();
          return;
        }
      }
    };
    this.#next = new NextTurn(run);
    if (signal?.aborted === true) return;
    this.#stop = wakeups.subscribe(run);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get closed(): boolean {
    return this.#stop === undefined || this.#source.closed;
  }

  close(): void {
    const stop = this.#stop;
    this.#stop = undefined;
    this.#next.cancel();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    stop?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
