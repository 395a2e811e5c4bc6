import type { ReadOnlyBytes } from '@ts-ebpf/syscall';

/**
 * A read-only window on one record in a ring buffer's read-only mapping. The
 * object handed to a `consume` callback is reused for the next record: it is
 * valid only during the callback (copy what you keep). Leases get their own,
 * valid until `commit()`. Reads outside the record throw `RangeError`.
 */
export class RecordView {
  #base: ReadOnlyBytes;
  #start = 0;
  #length = 0;

  /** @internal */
  constructor(base: ReadOnlyBytes) {
    this.#base = base;
  }

  /** @internal Points the view at [start, start + length) of the base mapping. */
  reset(start: number, length: number): this {
    this.#start = start;
    this.#length = length;
    return this;
  }

  /** Record length in bytes. */
  get length(): number {
    return this.#length;
  }

  #at(offset: number, size: number): number {
    if (!(offset >= 0 && offset + size <= this.#length)) {
      throw new RangeError(`read of ${size} bytes at ${offset} is outside a ${this.#length}-byte record`);
    }
    return this.#start + offset;
  }

  /** The byte at `offset`. */
  getUint8(offset: number): number {
    return this.#base.getUint8(this.#at(offset, 1));
  }

  /** A u16 at `offset` (little-endian unless told). */
  getUint16(offset: number, littleEndian = true): number {
    return this.#base.getUint16(this.#at(offset, 2), littleEndian);
  }

  /** A u32 at `offset`. */
  getUint32(offset: number, littleEndian = true): number {
    return this.#base.getUint32(this.#at(offset, 4), littleEndian);
  }

  /** An i32 at `offset`. */
  getInt32(offset: number, littleEndian = true): number {
    return this.#base.getInt32(this.#at(offset, 4), littleEndian);
  }

  /** A u64 at `offset`, as a bigint. */
  getBigUint64(offset: number, littleEndian = true): bigint {
    return this.#base.getBigUint64(this.#at(offset, 8), littleEndian);
  }

  /** A copy of bytes [start, end) of the record. */
  copy(start = 0, end = this.#length): Uint8Array {
    const from = this.#at(start, Math.max(0, end - start));
    return this.#base.copy(from, from + Math.max(0, end - start));
  }

  /** Copies bytes [start, start + target.length) of the record into `target`. */
  copyInto(target: Uint8Array, start = 0): Uint8Array {
    return this.#base.copyInto(target, this.#at(start, target.byteLength));
  }
}
