import { BpfArgumentError } from '@ts-ebpf/syscall';
import { type Codec, notACodec } from './codecs/codec.js';
import { detailOf } from './codecs/read-path.js';
import { CodecError } from './errors.js';
import type { IteratorWakeups } from './waiting-iterator.js';

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

/** Options of `onEvent(codec, cb)`. */
export interface SubscriptionOptions extends EventOptions {
  /**
   * Receives what a drain of the subscription throws, instead of the poller's wake-up (where
   * nothing can catch it: an `uncaughtException`). An error thrown by `cb` (whatever its type)
   * and a record the codec refuses (a `CodecError`) are handed over and the subscription goes
   * on with the next record (that one counts as consumed). An error of the ring itself (a
   * `ReaderStateError`: a corrupt ring, or a reader in use by a lease, cursor or read-ahead: one
   * consumer at a time) closes the subscription first: it does not wait for the ring to be
   * readable again. An error `onError` throws surfaces from the wake-up.
   */
  onError?: (error: unknown) => void;
}

/** @internal What a reader offers the decoded-event forms: whether it is closed. */
export interface EventSource {
  readonly closed: boolean;
}

/** @internal The reader's wake-ups, as its RecordStream offers them: an iterator's, and subscriptions. */
export interface EventWakeups extends IteratorWakeups {
  /** Runs `drain` on every wake-up; it returns true when it left ready records for the next turn. */
  subscribe(drain: () => boolean): () => void;
}

/**
 * Decoded records a subscription's drain delivers per call: a turn of the event loop drains
 * batches of this many while more are ready, for up to {@link EVENT_TURN_MS}.
 */
export const EVENT_BATCH = 4096;

/**
 * How long one turn of the event loop drains a subscription at most (ms): when it is spent and
 * records are still ready, the reader's next turn (`setImmediate`) goes on, so that a fast
 * producer cannot starve the event loop. A batch already begun is finished (a callback that
 * takes 1 µs a record holds a turn for about 4 ms).
 */
export const EVENT_TURN_MS = 1;

/**
 * @internal The error of a record of `length` bytes, shorter than `codec` decodes (records longer
 * than the codec are decoded from their start, as a C consumer casts a pointer to its struct),
 * naming the reader.
 */
export function eventTooShort(codec: Codec<unknown>, length: number, reader: string): CodecError {
  return new CodecError(
    codec.name,
    `a ${length}-byte record is shorter than the ${codec.size} bytes the codec decodes (the record was consumed)`,
    { map: reader },
  );
}

/**
 * @internal Checks that `codec`, handed to a decoded-event form of `reader` (untyped callers can
 * pass anything), is a codec: an object with `read()` and a whole `size`. Checked before the
 * ring is touched: a drain that found out at its first record would have consumed it.
 */
export function checkEventCodec(codec: unknown, reader: string): void {
  const what = notACodec(codec, 'read');
  if (what !== undefined)
    throw new BpfArgumentError(
      'codec',
      `${reader} decodes records with a codec (struct({ … }), u32, a codec of your own with read() and size), not ${what}`,
    );
}

/**
 * @internal `e`, an error a codec threw decoding a record of `reader` (a `u64AsNumber` field
 * beyond 2^53 - 1), as the reader reports it: a {@link CodecError} that names the reader first,
 * says the record was consumed and wraps `e`. Any other error, and one naming a reader or map
 * already, is returned as it is.
 */
export function recordCodecError(e: unknown, reader: string): unknown {
  if (!(e instanceof CodecError) || e.map !== undefined) return e;
  return new CodecError(e.field, `${detailOf(e)} (the record was consumed)`, { map: reader, cause: e });
}

/**
 * @internal What a subscription's drain reads after every record: true once the subscription
 * closed (its callback may close it). Plain data, one shape for every subscription, so that the
 * check is a single load in the drain's loop (the reader's own closing is checked there apart).
 */
export interface DrainStop {
  readonly closed: boolean;
  /**
   * Set by a drain whose callback threw, before the error leaves it: that error is the
   * callback's, not the reader's (see {@link SubscriptionOptions.onError}).
   */
  callbackThrew: boolean;
}

/**
 * @internal The callback form: runs `drain` (which delivers at most {@link EVENT_BATCH} decoded
 * records to the subscriber's callback, stopping once `stop` is closed, and returns how many) on
 * every wake-up, again while it delivers full batches, for up to {@link EVENT_TURN_MS} a turn;
 * records still ready then are left to the reader's next turn, which runs it again without
 * waiting for the poller. A turn has a fixed cost (a `setImmediate`, or the poller's re-arm and its notification): with one
 * batch a turn, 64-byte records took 3-5 ns more CPU each than with sixteen.
 */
export function eventSubscription(
  source: EventSource,
  wakeups: EventWakeups,
  drain: (stop: DrainStop) => number,
  options: SubscriptionOptions,
): EventSubscription {
  return new Subscription(source, wakeups, drain, options);
}

class Subscription implements EventSubscription {
  readonly #source: EventSource;
  // What the drain checks after every record: a data property of a literal (the same hidden class
  // for every subscription). Reading the `closed` getter there (two private fields of two
  // objects) cost about 1 ns a 64-byte record more.
  readonly #stopped = { closed: false, callbackThrew: false };
  readonly #signal: AbortSignal | undefined;
  #stop: (() => void) | undefined;
  readonly #onAbort = () => this.close();

  constructor(
    source: EventSource,
    wakeups: EventWakeups,
    drain: (stop: DrainStop) => number,
    options: SubscriptionOptions,
  ) {
    const { signal, onError } = options;
    this.#source = source;
    this.#signal = signal;
    // A drain that throws delivered less than a batch: with onError, the next one goes on after
    // the record that failed (a ring that cannot be read closed the subscription).
    const drained = (): number => {
      if (onError === undefined) return drain(this.#stopped);
      try {
        return drain(this.#stopped);
      } catch (error) {
        const callbackThrew = this.#stopped.callbackThrew;
        this.#stopped.callbackThrew = false;
        // The callback's errors and a record the codec refused were consumed: go on. Anything
        // else is the ring's own state (corrupt, or in use by a lease, cursor or read-ahead), which
        // the next drain would meet again: that closes the subscription.
        if (!callbackThrew && !(error instanceof CodecError)) this.close();
        onError(error);
        return EVENT_BATCH;
      }
    };
    // @returns true when the turn's time was spent with records still ready (the stream's next
    // turn runs this again).
    const run = (): boolean => {
      const start = performance.now();
      while (this.#stop !== undefined && !source.closed && drained() === EVENT_BATCH) {
        if (performance.now() - start >= EVENT_TURN_MS) return true;
      }
      return false;
    };
    if (signal?.aborted === true) {
      this.#stopped.closed = true;
      return;
    }
    this.#stop = wakeups.subscribe(run);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get closed(): boolean {
    return this.#stop === undefined || this.#source.closed;
  }

  close(): void {
    const stop = this.#stop;
    this.#stop = undefined;
    this.#stopped.closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    stop?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
