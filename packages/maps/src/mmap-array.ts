import { MapFlag, MappedMemory, ObjectClosedError, Prot, pageSize } from '@ts-ebpf/syscall';
import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { Codec } from './codecs/codec.js';
import { IndexOutOfRangeError, MapTypeError } from './errors.js';
import { codecErrorOf } from './map-codecs.js';

// Values in a map are in the running kernel's byte order.
const ORDER: ByteOrder = HOST_BYTE_ORDER;

/** Options of `BpfMap.mmap`. */
export interface MmapOptions {
  /**
   * Map the values writable (default true). A frozen map can only be mapped read-only; a
   * read-only mapping refuses `set` and the atomic writes with a typed error (a store to a
   * read-only page would kill the process).
   */
  readonly writable?: boolean;
}

/** What an {@link MmapArray} is made from (`BpfMap.mmap` fills it in). */
export interface MmapArraySource<V> {
  /** The map's fd (the mapping keeps the map alive after the fd is closed). */
  readonly fd: number;
  /** The map, as messages name it. */
  readonly label: string;
  readonly maxEntries: number;
  readonly valueSize: number;
  readonly valueCodec: Codec<V>;
  /** Called once when the mapping is closed. */
  readonly onClose?: () => void;
}

/**
 * The values of a `BPF_F_MMAPABLE` array map, read and written through a shared memory mapping
 * of the map: no system call per access. Element `i` is at byte `i × stride` (`stride` is the
 * value size rounded up to 8, as the kernel lays the array out), decoded with the map's value
 * codec. Indexes are checked against `maxEntries` before memory is touched.
 *
 * Memory ordering: `get` and `set` are plain loads and stores, like a C program's through the
 * same mapping. A BPF program running at the same time may see a value half written, and
 * `get` may return one half old and half new, unless both sides use atomics: for counters the
 * program updates with atomic instructions (`lock *(u64 *)(r0 + 0) += r1`,
 * `__sync_fetch_and_add`) use {@link MmapArray.atomicLoadU64}/{@link MmapArray.atomicAddU64} (and
 * the 32-bit pair), which are JavaScript `Atomics` operations on the shared pages. Nothing orders
 * plain accesses between JS and the kernel beyond that.
 *
 * `close()` (or `using`, or closing the map) unmaps; later accesses throw `ObjectClosedError`.
 */
export class MmapArray<V> implements Disposable {
  /** The number of elements (the map's `maxEntries`). */
  readonly length: number;
  /** Bytes from one element to the next: the value size rounded up to 8. */
  readonly stride: number;
  /** True for a writable mapping. */
  readonly writable: boolean;
  /** The codec elements are read and written with. */
  readonly codec: Codec<V>;
  readonly #label: string;
  readonly #memory: MappedMemory;
  readonly #view: DataView;
  readonly #buffer: ArrayBuffer;
  readonly #onClose: (() => void) | undefined;
  #u32: Uint32Array | undefined;
  #u64: BigUint64Array | undefined;
  #closed = false;

  /** @internal Use `BpfMap.mmap()`. */
  constructor(source: MmapArraySource<V>, options: MmapOptions = {}) {
    this.length = source.maxEntries;
    this.stride = (source.valueSize + 7) & ~7;
    this.writable = options.writable ?? true;
    this.codec = source.valueCodec;
    this.#label = source.label;
    this.#onClose = source.onClose;
    const bytes = this.length * this.stride;
    const page = pageSize();
    this.#memory = MappedMemory.map({
      length: Math.ceil(bytes / page) * page,
      prot: this.writable ? Prot.READ | Prot.WRITE : Prot.READ,
      flags: MapFlag.SHARED,
      fd: source.fd,
      offset: 0,
    });
    this.#buffer = this.#memory.unsafeArrayBuffer();
    this.#view = new DataView(this.#buffer, 0, bytes);
  }

  /** True once unmapped. */
  get closed(): boolean {
    return this.#closed;
  }

  // Open, and `index` names an element.
  #at(index: number): number {
    if (this.#closed) throw new ObjectClosedError(`memory mapping of ${this.#label}`);
    if (!(index >= 0 && index < this.length && Number.isInteger(index))) this.#indexError(index);
    return index * this.stride;
  }

  #indexError(index: number): never {
    throw new IndexOutOfRangeError(
      this.#label,
      index,
      `index ${index} is outside the mapped array (0..${this.length - 1})`,
    );
  }

  #assertWritable(operation: string): void {
    if (!this.writable)
      throw new MapTypeError(
        operation,
        this.#label,
        'the array is mapped read-only (mmap({ writable: false }), as frozen maps must be)',
      );
  }

  /** Element `index`, decoded (a plain load: see the memory-ordering note on the class). */
  get(index: number): V {
    const at = this.#at(index);
    try {
      return this.codec.read(this.#view, at, ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.#label, 'value');
    }
  }

  /** Writes element `index` (a plain store). @throws MapTypeError for a read-only mapping */
  set(index: number, value: V): void {
    const at = this.#at(index);
    this.#assertWritable('set');
    try {
      this.codec.write(this.#view, at, value, 'value', ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.#label, 'value');
    }
  }

  // The word index of an atomic access of `width` bytes at `offset` within element `index`.
  #word(index: number, offset: number, width: number): number {
    const at = this.#at(index);
    if (!(offset >= 0 && offset + width <= this.stride && Number.isInteger(offset) && offset % width === 0))
      throw new IndexOutOfRangeError(
        this.#label,
        index,
        `a ${width * 8}-bit atomic access at offset ${offset} is not an aligned word of the ${this.stride}-byte element`,
      );
    return (at + offset) / width;
  }

  #words32(): Uint32Array {
    this.#u32 ??= new Uint32Array(this.#buffer, 0, (this.length * this.stride) / 4);
    return this.#u32;
  }

  #words64(): BigUint64Array {
    this.#u64 ??= new BigUint64Array(this.#buffer, 0, (this.length * this.stride) / 8);
    return this.#u64;
  }

  /** An atomic load of the u32 at `offset` (default 0) in element `index`. */
  atomicLoadU32(index: number, offset = 0): number {
    return Atomics.load(this.#words32(), this.#word(index, offset, 4));
  }

  /** Atomically adds `delta` to the u32 at `offset` in element `index`; returns the old value. */
  atomicAddU32(index: number, delta: number, offset = 0): number {
    const word = this.#word(index, offset, 4);
    this.#assertWritable('atomicAddU32');
    return Atomics.add(this.#words32(), word, delta);
  }

  /** An atomic load of the u64 at `offset` (default 0) in element `index`. */
  atomicLoadU64(index: number, offset = 0): bigint {
    return Atomics.load(this.#words64(), this.#word(index, offset, 8));
  }

  /** Atomically adds `delta` to the u64 at `offset` in element `index`; returns the old value. */
  atomicAddU64(index: number, delta: bigint, offset = 0): bigint {
    const word = this.#word(index, offset, 8);
    this.#assertWritable('atomicAddU64');
    return Atomics.add(this.#words64(), word, delta);
  }

  /** Unmaps; later calls do nothing (views taken before read zeros, never unmapped memory). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#memory.close();
    this.#onClose?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
