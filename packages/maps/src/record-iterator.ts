import { type IteratorWakeups, NONE, WaitingIterator } from './waiting-iterator.js';

/** @internal What a record iterator reads: a reader's next copied record, and whether it closed. */
export interface IteratedReader {
  readonly closed: boolean;
  readOne(): Uint8Array | undefined;
}

/**
 * @internal `for await (const rec of reader)`: each step takes the reader's next copied record
 * (`readOne()`), waiting for the poller only when none is ready (see waiting-iterator.ts).
 */
export class RecordIterator extends WaitingIterator<Uint8Array> {
  readonly #reader: IteratedReader;

  constructor(reader: IteratedReader, wakeups: IteratorWakeups, signal: AbortSignal | undefined) {
    super(wakeups, signal);
    this.#reader = reader;
  }

  protected get sourceClosed(): boolean {
    return this.#reader.closed;
  }

  protected take(): Uint8Array | typeof NONE {
    return this.#reader.readOne() ?? NONE;
  }
}
