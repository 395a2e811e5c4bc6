import { BpfArgumentError, ObjectClosedError, OutOfBoundsError } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { RecordView } from './record-view.js';

// Records are written by programs on this host: multi-byte getters default to its byte order
// (a module-local copy: V8 folds it in the getters).
const HOST_LE = HOST_LITTLE_ENDIAN;

function closedError(): ObjectClosedError {
  return new ObjectClosedError('the ring buffer (or lease) of these records');
}

function indexError(i: number, count: number): BpfArgumentError {
  return new BpfArgumentError('index', `record ${i} is outside the list's ${count} records`);
}

function rangeError(offset: number, size: number, length: number): OutOfBoundsError {
  return new OutOfBoundsError('record', offset, size, length);
}

/** @internal A list's offset and length tables. */
export interface RecordTables {
  offsets: Uint32Array;
  lengths: Uint32Array;
}

/**
 * Several records read by index, without a callback or an object per record: record `i`
 * is bytes [offset(i), offset(i) + length(i)) of one memory area (a batch's copy, or the
 * ring itself for a lease). `getUint32(i, 4)` reads bytes 4..7 of record `i`; reads
 * outside a record throw `OutOfBoundsError` (an index outside the list `BpfArgumentError`), reads once the list is no longer valid throw.
 */
export class RecordList {
  #count = 0;
  // `#count` while the records are readable, 0 after: one check covers both in every read.
  #readableCount = 0;
  #data: DataView;
  #offsets: Uint32Array;
  #lengths: Uint32Array;
  #view: RecordView | undefined;
  #readable = true;

  /** @internal `tables` (from a list no longer read) saves growing new ones. */
  constructor(data: DataView, tables?: RecordTables) {
    this.#data = data;
    this.#offsets = tables?.offsets ?? new Uint32Array(64);
    this.#lengths = tables?.lengths ?? new Uint32Array(64);
  }

  /** @internal The offset and length tables, to hand to the next list once this one is done. */
  tables(): RecordTables {
    return { offsets: this.#offsets, lengths: this.#lengths };
  }

  /** True once the records may no longer be read (a committed lease, or its ring closed). */
  get closed(): boolean {
    return !this.#readable;
  }

  /** @internal From now on, reads throw `ObjectClosedError`. */
  protected invalidate(): void {
    this.#readable = false;
    this.#readableCount = 0;
  }

  /** Number of records. */
  get count(): number {
    return this.#count;
  }

  #assertReadable(): void {
    if (!this.#readable) throw closedError();
  }

  /** Length of record `i` in bytes. */
  length(i: number): number {
    this.#record(i);
    return this.#lengths[i]!;
  }

  #record(i: number): void {
    if (!(i >= 0 && i < this.#readableCount)) throw this.#badRecord(i);
  }

  #badRecord(i: number): Error {
    return this.#readable ? indexError(i, this.#count) : closedError();
  }

  /** Offset in the memory area of bytes [offset, offset + size) of record `i`, checked. */
  protected at(i: number, offset: number, size: number): number {
    // Kept small (the errors are built elsewhere) so that it inlines into every read.
    this.#record(i);
    const length = this.#lengths[i]!;
    if (!(offset >= 0 && offset + size <= length)) throw rangeError(offset, size, length);
    return this.#offsets[i]! + offset;
  }

  /** The memory area the offsets point into. */
  protected get area(): DataView {
    return this.#data;
  }

  getUint8(i: number, offset: number): number {
    return this.#data.getUint8(this.at(i, offset, 1));
  }

  getInt8(i: number, offset: number): number {
    return this.#data.getInt8(this.at(i, offset, 1));
  }

  getUint16(i: number, offset: number, littleEndian = HOST_LE): number {
    return this.#data.getUint16(this.at(i, offset, 2), littleEndian);
  }

  getInt16(i: number, offset: number, littleEndian = HOST_LE): number {
    return this.#data.getInt16(this.at(i, offset, 2), littleEndian);
  }

  getUint32(i: number, offset: number, littleEndian = HOST_LE): number {
    return this.#data.getUint32(this.at(i, offset, 4), littleEndian);
  }

  getInt32(i: number, offset: number, littleEndian = HOST_LE): number {
    return this.#data.getInt32(this.at(i, offset, 4), littleEndian);
  }

  getBigUint64(i: number, offset: number, littleEndian = HOST_LE): bigint {
    return this.#data.getBigUint64(this.at(i, offset, 8), littleEndian);
  }

  getBigInt64(i: number, offset: number, littleEndian = HOST_LE): bigint {
    return this.#data.getBigInt64(this.at(i, offset, 8), littleEndian);
  }

  getFloat32(i: number, offset: number, littleEndian = HOST_LE): number {
    return this.#data.getFloat32(this.at(i, offset, 4), littleEndian);
  }

  getFloat64(i: number, offset: number, littleEndian = HOST_LE): number {
    return this.#data.getFloat64(this.at(i, offset, 8), littleEndian);
  }

  /** A copy of record `i` (or of its bytes [start, end)). */
  copy(i: number, start = 0, end?: number): Uint8Array {
    const stop = end ?? this.length(i);
    const from = this.at(i, start, Math.max(0, stop - start));
    const d = this.#data;
    return new Uint8Array(d.buffer, d.byteOffset + from, Math.max(0, stop - start)).slice();
  }

  /** A view of record `i` of its own (valid as long as the list is). */
  view(i: number): RecordView {
    return new RecordView(this.#data, this).reset(this.at(i, 0, 0), this.#lengths[i]!);
  }

  /** Calls `cb` with a view of each record; the view object is reused, so keep copies only. */
  forEach(cb: (record: RecordView, index: number) => void): void {
    this.#assertReadable();
    this.#view ??= new RecordView(this.#data, this);
    const view = this.#view;
    for (let i = 0; i < this.#count; i++) {
      cb(view.reset(this.#offsets[i]!, this.#lengths[i]!), i);
      this.#assertReadable();
    }
  }

  /** @internal Empties the list before a refill. */
  clear(): void {
    this.#count = 0;
    this.#readableCount = 0;
  }

  /** @internal The records now live in `data`, at the same offsets. */
  protected moveTo(data: DataView): void {
    this.#data = data;
    this.#view = undefined;
  }

  /** @internal Doubles the tables' capacity, keeping their first `count` entries. */
  grow(count: number): RecordTables {
    const offsets = new Uint32Array(Math.max(64, this.#offsets.length * 2));
    const lengths = new Uint32Array(offsets.length);
    offsets.set(this.#offsets.subarray(0, count));
    lengths.set(this.#lengths.subarray(0, count));
    this.#offsets = offsets;
    this.#lengths = lengths;
    return { offsets, lengths };
  }

  /** @internal The first `count` entries of the tables are now the records. */
  setCount(count: number): void {
    this.#count = count;
    if (this.#readable) this.#readableCount = count;
  }

  /** @internal Where each record starts (the first `count` entries). */
  protected get offsetTable(): Uint32Array {
    return this.#offsets;
  }

  /** @internal Each record's length (the first `count` entries). */
  protected get lengthTable(): Uint32Array {
    return this.#lengths;
  }
}
