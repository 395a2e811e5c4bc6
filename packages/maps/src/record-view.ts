import { ObjectClosedError, OutOfBoundsError } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

// Records are written by programs on this host: multi-byte getters default to its byte order
// (a module-local copy: V8 folds it in the getters).
const HOST_LE = HOST_LITTLE_ENDIAN;

/** What a view reads from: a ring's mapping (closed once unmapped) or a copy (never closed). */
export interface RecordSource {
  readonly closed: boolean;
}

const ALWAYS_OPEN: RecordSource = { closed: false };

/**
 * A read-only window on one record: in a ring buffer's mapping (the object handed to a
 * `consume` callback, reused for the next record, so valid only during the callback;
 * a lease's view, valid until `commit()`), or in a {@link RecordBatch}'s copy. Reads
 * outside the record throw `OutOfBoundsError`; reads after the ring was closed throw
 * `ObjectClosedError`. Multi-byte reads are in the host's byte order (the order programs wrote them in) unless told otherwise.
 */
export class RecordView {
  readonly #data: DataView;
  #bytes: Uint8Array | undefined;
  readonly #source: RecordSource;
  #start = 0;
  #length = 0;

  /** @internal `data` covers the whole mapping or copy; `reset` picks the record. */
  constructor(data: DataView, source: RecordSource = ALWAYS_OPEN) {
    this.#data = data;
    this.#source = source;
  }

  /** @internal Points the view at [start, start + length) of the mapping or copy. */
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
    // `=== true` is one comparison; a bare truthiness test of a field V8 cannot type is several
    if (this.#source.closed === true)
      throw new ObjectClosedError('the ring buffer (or lease) of this record');
    if (!(offset >= 0 && offset + size <= this.#length)) {
      throw new OutOfBoundsError('record', offset, size, this.#length);
    }
    return this.#start + offset;
  }

  // Made on the first copy: views that only read numbers never pay for it.
  get #raw(): Uint8Array {
    this.#bytes ??= new Uint8Array(this.#data.buffer, this.#data.byteOffset, this.#data.byteLength);
    return this.#bytes;
  }

  /** The byte at `offset`. */
  getUint8(offset: number): number {
    return this.#data.getUint8(this.#at(offset, 1));
  }

  /** An i8 at `offset`. */
  getInt8(offset: number): number {
    return this.#data.getInt8(this.#at(offset, 1));
  }

  /** A u16 at `offset`. */
  getUint16(offset: number, littleEndian = HOST_LE): number {
    return this.#data.getUint16(this.#at(offset, 2), littleEndian);
  }

  /** An i16 at `offset`. */
  getInt16(offset: number, littleEndian = HOST_LE): number {
    return this.#data.getInt16(this.#at(offset, 2), littleEndian);
  }

  /** A u32 at `offset`. */
  getUint32(offset: number, littleEndian = HOST_LE): number {
    return this.#data.getUint32(this.#at(offset, 4), littleEndian);
  }

  /** An i32 at `offset`. */
  getInt32(offset: number, littleEndian = HOST_LE): number {
    return this.#data.getInt32(this.#at(offset, 4), littleEndian);
  }

  /** A u64 at `offset`, as a bigint. */
  getBigUint64(offset: number, littleEndian = HOST_LE): bigint {
    return this.#data.getBigUint64(this.#at(offset, 8), littleEndian);
  }

  /** An i64 at `offset`, as a bigint. */
  getBigInt64(offset: number, littleEndian = HOST_LE): bigint {
    return this.#data.getBigInt64(this.#at(offset, 8), littleEndian);
  }

  /** An f32 at `offset`. */
  getFloat32(offset: number, littleEndian = HOST_LE): number {
    return this.#data.getFloat32(this.#at(offset, 4), littleEndian);
  }

  /** An f64 at `offset`. */
  getFloat64(offset: number, littleEndian = HOST_LE): number {
    return this.#data.getFloat64(this.#at(offset, 8), littleEndian);
  }

  /** A copy of bytes [start, end) of the record. */
  copy(start = 0, end = this.#length): Uint8Array {
    const from = this.#at(start, Math.max(0, end - start));
    return this.#raw.slice(from, from + Math.max(0, end - start));
  }

  /** Copies bytes [start, start + target.length) of the record into `target`. */
  copyInto(target: Uint8Array, start = 0): Uint8Array {
    const from = this.#at(start, target.byteLength);
    target.set(this.#raw.subarray(from, from + target.byteLength));
    return target;
  }
}
