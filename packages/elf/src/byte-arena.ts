/**
 * Zero-filled byte blocks cut from a few large buffers. On Node 20 a typed array over 64 bytes
 * gets its own off-heap backing store, which costs 1–2 µs to allocate (and adds to the external
 * memory that triggers garbage collection), while a view of an existing buffer costs ~50 ns: a
 * load copying each program's instructions and BTF.ext records into buffers of their own spent
 * several hundred microseconds in allocation alone.
 *
 * A block is never handed out twice and its buffer is never reused, so a block stays valid (and
 * keeps its buffer alive) for as long as anyone holds it, like a buffer of its own.
 */
export class ByteArena {
  #chunk: Uint8Array | undefined;
  #used = 0;
  readonly #chunkSize: number;

  /** @param chunkSize - bytes of each buffer blocks are cut from (a larger request gets a buffer of its own size) */
  constructor(chunkSize: number) {
    this.#chunkSize = Math.max(64, chunkSize);
  }

  /** A zero-filled block of `size` bytes, starting 8-byte aligned (any typed array can view it). */
  alloc(size: number): Uint8Array {
    const need = (size + 7) & ~7;
    if (this.#chunk === undefined || this.#used + need > this.#chunk.byteLength) {
      // A block larger than a chunk gets a buffer of its own; the current chunk stays in use.
      if (need > this.#chunkSize) return new Uint8Array(size);
      this.#chunk = new Uint8Array(this.#chunkSize);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += need;
    return this.#chunk.subarray(at, at + size);
  }

  /** A copy of `bytes` in a block of its own (never a view of `bytes`). */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.alloc(bytes.byteLength);
    out.set(bytes);
    return out;
  }
}
