import { RecordList, type RecordTables } from './record-list.js';

/**
 * Records held in place in a ring buffer, read by index without copying
 * (`getUint32(i, offset)` …, `forEach`), until `commit()` gives their space back to the
 * producer. Reads after `commit()` (or after the ring closed) throw.
 */
export class LeasedRecords extends RecordList implements Disposable {
  #held = true;
  readonly #release: (lease: LeasedRecords) => void;

  /** @internal */
  constructor(data: DataView, release: (lease: LeasedRecords) => void, tables?: RecordTables) {
    super(data, tables);
    this.#release = release;
  }

  /** True until `commit()`. */
  get held(): boolean {
    return this.#held;
  }

  /** @internal The ring closed: the records are gone. */
  revoke(): void {
    this.invalidate();
  }

  /** Gives the records' space back to the producer; idempotent. */
  commit(): void {
    if (!this.#held) return;
    this.#held = false;
    this.invalidate();
    this.#release(this);
  }

  [Symbol.dispose](): void {
    this.commit();
  }
}
