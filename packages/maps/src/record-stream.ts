import type { EventEmitter } from 'node:events';
import { NextTurn } from './next-turn.js';
import type { Poller, PollRegistration } from './poller.js';
import { RecordIterator } from './record-iterator.js';

/** What a reader offers the stream: readiness, one copied record, and its event emitter. */
export interface RecordReader extends EventEmitter {
  readonly pending: boolean;
  readonly closed: boolean;
  readOne(): Uint8Array | undefined;
}

/** Records emitted per wake-up at most. */
const EMIT_BATCH = 1024;

/**
 * Turns poller notifications into `'record'` events and async iteration for one
 * reader. With listeners, every ready record is emitted on each wake-up; async
 * iterators (record-iterator.ts) pull one record at a time, waiting with `readable()`, so a
 * slow consumer leaves records in the ring (the producer then drops, and counts, what does
 * not fit).
 */
export class RecordStream {
  readonly #reader: RecordReader;
  readonly #poller: Poller;
  readonly #fd: number;
  readonly #readinessUsedUp: boolean;
  #reg: PollRegistration | undefined;
  #armed = false;
  // Callers of readable(): woken on the next notification (or close) without taking a record.
  #wakeups: ((open: boolean) => void)[] = [];
  // Drains run on every wake-up (event subscriptions): each takes what is ready, and says whether
  // it left ready records for the next turn (see subscribe).
  readonly #drains = new Set<() => boolean>();
  #iterators = 0;
  #closed = false;
  // The turn scheduled for records left for the 'record' listeners (at most one at a time).
  readonly #again = new NextTurn(() => this.#pump());

  /**
   * `readinessUsedUp`: a poll of the fd uses its readiness up (a perf buffer's epoll of perf
   * events), so the poller also asks the reader whether records are pending (see `Poller.add`).
   */
  constructor(
    reader: RecordReader,
    poller: Poller,
    fd: number,
    signal?: AbortSignal,
    readinessUsedUp = false,
  ) {
    this.#reader = reader;
    this.#readinessUsedUp = readinessUsedUp;
    this.#poller = poller;
    this.#fd = fd;
    reader.on('newListener', (name) => {
      if (name === 'record') queueMicrotask(() => this.#pump());
    });
    reader.on('removeListener', () => this.#idleCheck());
    if (signal) {
      if (signal.aborted) queueMicrotask(() => (reader as unknown as { close(): void }).close());
      else
        signal.addEventListener('abort', () => (reader as unknown as { close(): void }).close(), {
          once: true,
        });
    }
  }

  #wanted(): boolean {
    return this.#reader.listenerCount('record') > 0 || this.#wakeups.length > 0 || this.#drains.size > 0;
  }

  #idleCheck(): void {
    if (!this.#wanted() && this.#iterators === 0 && this.#reg) {
      this.#reg.remove();
      this.#reg = undefined;
      this.#armed = false;
    }
  }

  #arm(): void {
    if (this.#closed || this.#armed) return;
    if (this.#reg) this.#reg.rearm();
    else {
      this.#reg = this.#poller.add(
        this.#fd,
        {
          onReadable: () => {
            this.#armed = false;
            this.#pump();
          },
        },
        this.#readinessUsedUp ? { ready: () => this.#reader.pending } : {},
      );
    }
    this.#armed = true;
  }

  #pump(): void {
    if (this.#closed) return;
    const reader = this.#reader;
    // A drain that throws (its callback did) does not keep the others from running; the first
    // error is rethrown once all ran and the stream is re-armed, as a listener's error would be.
    let failure: { error: unknown } | undefined;
    // True when a drain stopped with records left: the next turn runs the pump instead of the poller.
    let more = false;
    try {
      for (const drain of this.#drains) {
        try {
          if (drain()) more = true;
        } catch (error) {
          failure ??= { error };
        }
        // closed by a drain's callback: the rest is not run, a failure is still rethrown
        if (this.#closed) break;
      }
      if (!this.#closed) this.#emitAndWake();
    } finally {
      if (!this.#closed && this.#wanted()) {
        // Not re-armed while a drain has records left: the fd is still readable, so the poller
        // would notify at once, and again after every re-arm until the next turn runs (a
        // notification and an epoll_ctl per drain). The next turn's pump re-arms once the drains
        // have taken everything.
        if (more) this.#again.schedule();
        else this.#arm();
        // Records left for the listeners (past EMIT_BATCH, or behind one that threw) get the next
        // turn of the event loop: the poller would not wake for them. A ring reader has already
        // copied them out of the ring (its read-ahead), and a perf event's readiness is cleared
        // by the wake-up that saw it.
        if (reader.listenerCount('record') > 0 && reader.pending) this.#again.schedule();
      }
    }
    if (failure) throw failure.error;
  }

  // The 'record' listeners' share of a wake-up, then the waiting iterators'. One record at a time:
  // a listener that throws loses nothing (the rest stay in the reader). At most EMIT_BATCH per
  // wake-up, so a fast producer cannot starve the event loop; what is left is emitted on the
  // next turn (see #pump's finally).
  #emitAndWake(): void {
    const reader = this.#reader;
    for (let n = 0; n < EMIT_BATCH && !this.#closed && reader.listenerCount('record') > 0; n++) {
      const rec = reader.readOne();
      if (!rec) break;
      reader.emit('record', rec);
    }
    if (this.#wakeups.length > 0 && reader.pending) {
      const wakeups = this.#wakeups;
      this.#wakeups = [];
      for (const wake of wakeups) wake(true);
    }
  }

  /**
   * Runs `drain` on every wake-up (and once soon, for what is already ready) until the returned
   * function is called; `drain` takes at most a bounded number of records, so that a fast
   * producer cannot starve the event loop, and returns true when it stopped with records left:
   * the next turn of the event loop runs it again (and the stream waits for the poller only once
   * no drain has records left).
   */
  subscribe(drain: () => boolean): () => void {
    if (this.#closed) return () => {};
    const own = () => drain();
    this.#drains.add(own);
    queueMicrotask(() => {
      if (this.#drains.has(own)) this.#pump();
    });
    return () => {
      if (this.#drains.delete(own)) this.#idleCheck();
    };
  }

  /** An async iterator of copied records; ends on close or when `signal` aborts. */
  iterator(signal?: AbortSignal): AsyncIterator<Uint8Array> {
    return new RecordIterator(this.#reader, this, signal);
  }

  /**
   * Keeps the fd watched between waits (as an iterator of this stream does), until the returned
   * function is called: a consumer that waits again and again then re-arms its registration
   * instead of adding it anew each time (a watch and a duplicate of the fd each).
   */
  hold(): () => void {
    this.#iterators++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#iterators--;
      this.#idleCheck();
    };
  }

  /**
   * Resolves true once records are pending (at once if they are), false when the reader
   * closes or `signal` aborts first.
   */
  readable(signal?: AbortSignal): Promise<boolean> {
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    if (this.#reader.pending) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        this.#wakeups = this.#wakeups.filter((w) => w !== wake);
        this.#idleCheck();
        resolve(false);
      };
      const wake = (open: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(open);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#wakeups.push(wake);
      this.#arm();
    });
  }

  /** Ends iterators and stops watching. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#again.cancel();
    this.#drains.clear();
    for (const wake of this.#wakeups.splice(0)) wake(false);
    this.#reg?.remove();
    this.#reg = undefined;
  }
}
