import { RecordList } from './record-list.js';

/**
 * Records copied out of a ring with one copy: `count` records, record `i` at
 * `bytes[offsets[i] .. offsets[i] + lengths[i])`, also readable by index
 * (`getUint32(i, offset)` …) and as views (`forEach`). The copy belongs to the caller and
 * stays valid after the ring moves on, until the batch is handed back to be refilled
 * (`readBatch({ into })`), which reuses its storage and allocates nothing.
 *
 * @example
 * ```ts
 * let batch: RecordBatch | undefined;
 * for (;;) {
 *   batch = ring.readBatch({ into: batch });
 *   if (batch.count === 0) break;
 *   for (let i = 0; i < batch.count; i++) total += batch.getUint32(i, 0);
 * }
 * ```
 */
export class RecordBatch extends RecordList implements Iterable<Uint8Array> {
  #bytes: Uint8Array;

  /** An empty batch with room for `capacity` bytes of records (it grows when needed). */
  constructor(capacity = 4096) {
    const storage = new ArrayBuffer(Math.max(capacity, 8));
    super(new DataView(storage));
    this.#bytes = new Uint8Array(storage);
  }

  /** The copied bytes (headers included); `offsets`/`lengths` locate the records. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** A DataView over `bytes`, for reading records by offset without allocating. */
  get data(): DataView {
    return this.area;
  }

  /** Where each record starts in `bytes` (the first `count` entries are meaningful). */
  get offsets(): Uint32Array {
    return this.offsetTable;
  }

  /** Each record's length (the first `count` entries are meaningful). */
  get lengths(): Uint32Array {
    return this.lengthTable;
  }

  /** Record `i` as bytes sharing the batch's copy (valid until the batch is refilled). */
  record(i: number): Uint8Array {
    const at = this.at(i, 0, 0);
    return this.#bytes.subarray(at, at + this.length(i));
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    for (let i = 0; i < this.count; i++) yield this.record(i);
  }

  /** @internal Storage of at least `byteLength` bytes to copy the records into (grown, never shrunk). */
  storage(byteLength: number): Uint8Array {
    if (byteLength > this.#bytes.byteLength) {
      const storage = new ArrayBuffer(Math.max(byteLength, this.#bytes.byteLength * 2));
      this.#bytes = new Uint8Array(storage);
      // the records listed so far keep their offsets: the caller copies them in next
      this.moveTo(new DataView(storage));
    }
    return this.#bytes;
  }
}
