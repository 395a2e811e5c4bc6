import { RecordList } from './record-list.js';

/**
 * Records a ring buffer reader copied out ahead of being asked for them (by `readOne()`, which the
 * record iterator and `'record'` events use): they have left the ring, so they are handed out
 * first and no other read may skip them. Each fill is one fresh copy that the handed-out records
 * share (they keep it alive); record i is bytes [offsets[i], offsets[i] + lengths[i]) of it.
 */
export class ReadAhead {
  /** The list a scan fills before {@link ReadAhead.fill}; its tables are reused. */
  readonly list = new RecordList(new DataView(new ArrayBuffer(0)));
  #buffer = new ArrayBuffer(0);
  #offsets: Uint32Array = new Uint32Array(0);
  #lengths: Uint32Array = new Uint32Array(0);
  #head = 0;
  #count = 0;

  /** True while records are waiting. */
  get pending(): boolean {
    return this.#head < this.#count;
  }

  /** The records of `list` now live in `copy`, at the listed offsets. */
  fill(copy: ArrayBuffer): void {
    const { offsets, lengths } = this.list.tables();
    this.#buffer = copy;
    this.#offsets = offsets;
    this.#lengths = lengths;
    this.#head = 0;
    this.#count = this.list.count;
  }

  /** The next record (call only while {@link ReadAhead.pending}). */
  next(): Uint8Array {
    const i = this.#head++;
    // `new Uint8Array(buffer, …)` costs half of `subarray`
    return new Uint8Array(this.#buffer, this.#offsets[i]!, this.#lengths[i]!);
  }
}
