/**
 * Bump allocation of record copies from shared 64 KiB slabs: one ArrayBuffer per
 * slab instead of one per record (allocating many small ArrayBuffers costs about a
 * microsecond each). A copy kept alive keeps its slab alive.
 */
export class Slab {
  readonly #size: number;
  #buffer: Uint8Array;
  #used = 0;

  constructor(size = 65536) {
    this.#size = size;
    this.#buffer = new Uint8Array(size);
  }

  /** A fresh `length`-byte region (its own buffer when larger than a slab). */
  take(length: number): Uint8Array {
    if (length > this.#size / 4) return new Uint8Array(length);
    const at = (this.#used + 7) & ~7;
    if (at + length > this.#size) {
      this.#buffer = new Uint8Array(this.#size);
      this.#used = length;
      return this.#buffer.subarray(0, length);
    }
    this.#used = at + length;
    return this.#buffer.subarray(at, at + length);
  }
}
