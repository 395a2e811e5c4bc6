import { RecordList, type RecordTables } from './record-list.js';

/**
 * Records held in place in a ring buffer, read by index without copying
 * (`getUint32(i, offset)` …, `forEach`), until `commit()` gives their space back to the
 * producer. Reads after `commit()` (or after the ring closed) throw.
 */
export class LeasedRecords extends RecordList implements Disposable {
  #held = true;
  readonly #release: () => void;
  readonly #source: { readonly closed: boolean };

  /** @internal */
  constructor(
    data: DataView,
    source: { readonly closed: boolean },
    release: () => void,
    tables?: RecordTables,
  ) {
    super(data, tables);
    this.#source = source;
    this.#release = release;
    this.readableWhile(this);
  }

  /** True once committed or once the ring closed: the records may no longer be read. */
  get closed(): boolean {
    return !this.#held || this.#source.closed;
  }

  /** True until `commit()`. */
  get held(): boolean {
    return this.#held;
  }

  /** Gives the records' space back to the producer; idempotent. */
  commit(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#release();
  }

  [Symbol.dispose](): void {
    this.commit();
  }
}
