import {
  type ClosesLater,
  closeLater,
  MapElemChannel,
  type MapInfo,
  mapFreeze,
  mapGetNextKey,
  mapInfo,
  mapLookupAndDeleteElem,
  mapLookupElem,
  mapUpdateElem,
  OwnedFd,
  pinObject,
  unpin,
} from '@ts-ebpf/syscall';
import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { BatchCursor, BatchResult, RawBatchOptions, RawBatchResult } from './batch.js';
import { getAndDeleteBatch, getBatch, getBatchBytes } from './batch-lookup.js';
import { deleteBatch, setBatch } from './batch-write.js';
import type { Codec } from './codecs/codec.js';
import { MapTypeError } from './errors.js';
import { clear, count, entries } from './iteration.js';
import { accessError, type PinOpenOptions, pinFileFlags } from './map-access.js';
import { codecErrorOf, type MapCodecs, removedNote } from './map-codecs.js';
import { specMapFd } from './map-create.js';
import { mapLabel, missingKeyError, pinError, writeError } from './map-diagnosis.js';
import { mmapValues } from './map-mmap.js';
import { adoptMapFd, checkMapFd, openMapById, openPinnedMap } from './map-open.js';
import type { MapSpec } from './map-spec.js';
import { mapTypeName, Update } from './map-types.js';
import type { MmapArray, MmapOptions } from './mmap-array.js';
import { type ScratchBuffers, scratchBuffers } from './scratch-buffers.js';

// Keys and values are what this kernel reads and writes: in the host's byte order.
const ORDER: ByteOrder = HOST_BYTE_ORDER;

/**
 * A BPF map with typed keys and values. Created with {@link BpfMap.create} (or a
 * typed wrapper such as `HashMap.create`), or opened from a pin, an id or an fd.
 * Every method throws `ObjectClosedError` after {@link BpfMap.close}.
 */
export class BpfMap<K, V> implements Disposable, ClosesLater {
  /** `MapType.*`. */
  readonly type: number;
  /** Key size in bytes as the kernel knows it. */
  readonly keySize: number;
  /** Value size in bytes as the kernel knows it (per CPU for per-CPU maps). */
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly keyCodec: Codec<K>;
  /** The value codec (a `PerCpuCodec` for per-CPU maps). */
  readonly valueCodec: Codec<V>;
  readonly #fd: OwnedFd;
  // The kernel id when known without asking (maps opened from an fd, pin or id).
  #id: number | undefined;
  /** Whether the map takes no key (its key size is 0). */
  readonly #keyless: boolean;
  /**
   * Scratch key and value of `encodeKey`, `encodeValue`, `lookupRaw` and `takeRaw`, reused by
   * every call and made on the first: two buffers of their own cost more than the rest of the
   * constructor, and most maps (a loaded object's) never use them.
   */
  #scratch: ScratchBuffers | undefined;
  #pinned: string | undefined;
  // The pin fromPin opened the map from, named by errors of its fd's access.
  #openedFrom: string | undefined;
  // get/set/has/delete/getAndDelete: attr, key and value in native memory, checked once.
  #channel: MapElemChannel | undefined;
  // Mappings of the values handed out by mmap(), unmapped by close(); made by the first mmap().
  #mappings: Set<MmapArray<V>> | undefined;

  /** @internal Use {@link BpfMap.create} or the `from*` functions. */
  constructor(
    fd: number,
    info: Pick<MapInfo, 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'mapFlags' | 'name'> & {
      id?: number;
    },
    key: Codec<K>,
    value: Codec<V>,
  ) {
    this.#fd = new OwnedFd(fd, mapLabel(info.type, info.name, info.id));
    this.#id = info.id;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.mapFlags;
    this.name = info.name;
    this.keyCodec = key;
    this.valueCodec = value;
    this.#keyless = key.size === 0;
  }

  #buffers(): ScratchBuffers {
    this.#scratch ??= scratchBuffers(this.keyCodec.size, this.valueCodec.size);
    return this.#scratch;
  }

  /**
   * Creates a map from a spec (or opens its pin when `pinning.reuse` finds one). A local-storage
   * map without `btf` gets a generated description of its `int` key and value bytes.
   * @throws MapSpecError for a spec the kernel would refuse (checked before asking it)
   * @throws CodecError when a key or value is not a codec, or its size is not the size given
   * @throws MapCreateError when the kernel refuses the map
   */
  static create<K = Uint8Array, V = Uint8Array>(spec: MapSpec<K, V>): BpfMap<K, V> {
    const { fd, info, key, value, pinning } = specMapFd(spec);
    const map = new BpfMap(fd, info, key, value);
    if (pinning) {
      try {
        map.pin(pinning.path);
      } catch (e) {
        map.close(); // a map nobody can reach
        throw e;
      }
    }
    return map;
  }

  /**
   * Takes ownership of a map fd; type and sizes come from the kernel. Without codecs keys and
   * values are raw bytes (per-CPU: one `Uint8Array` per CPU).
   * @throws NotAMapError when `fd` is not open or not a BPF map (a program, a socket …): the fd
   * is then left to the caller, untouched.
   * @throws CodecError naming the map when a codec does not fit its key or value size, or a
   * per-CPU map is given a plain value codec (give `perCpu(codec)`): the fd is then closed
   */
  static fromFd<K = unknown, V = unknown>(fd: number, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    checkMapFd(fd);
    return BpfMap.#adopt(fd, codecs);
  }

  // fromFd without the check that `fd` is a map (fromPin and fromId made it from one).
  static #adopt<K, V>(fd: number, codecs: MapCodecs<K, V>): BpfMap<K, V> {
    const { info, key, value } = adoptMapFd(fd, codecs);
    return new BpfMap(fd, info, key, value);
  }

  /**
   * Opens the map pinned at `path`, for reading and writing, or with `{ readOnly: true }` for
   * reading only (`{ writeOnly: true }`: writing only), as a consumer that must not change the map
   * opens it. The kernel then refuses what the fd does not allow: a write (`set`, `delete`,
   * `setBatch`, `freeze` …) through a read-only fd throws `MapAccessError` naming the pin; a read
   * through a write-only fd throws the kernel's `PermissionError` (`get` is not checked first, to
   * keep it as fast as the bare call), or `MapAccessError` from `nextKey`.
   * @throws PinNotFoundError when nothing is pinned there; NotAMapError when what is pinned
   * there is not a map (a program, a link) or the file is not on bpffs.
   * @throws BpfArgumentError (from `@ts-ebpf/syscall`) when both `readOnly` and `writeOnly` are set
   * @throws CodecError naming the map as {@link BpfMap.fromFd} does (a per-CPU map needs `perCpu(...)`)
   */
  static fromPin<K = unknown, V = unknown>(
    path: string,
    codecs: MapCodecs<K, V> = {},
    options: PinOpenOptions = {},
  ): BpfMap<K, V> {
    const map = BpfMap.#adopt(openPinnedMap(path, pinFileFlags(path, options)), codecs);
    map.#openedFrom = path;
    return map;
  }

  /**
   * Opens a map by its kernel id.
   * @throws MapNotFoundError when no map has this id
   * @throws CodecError naming the map as {@link BpfMap.fromFd} does (a per-CPU map needs `perCpu(...)`)
   */
  static fromId<K = unknown, V = unknown>(id: number, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    return BpfMap.#adopt(openMapById(id), codecs);
  }

  /** The map's fd. @throws ObjectClosedError after close. */
  get fd(): number {
    return this.#fd.fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** The kernel's description of this map (id, flags, BTF ids …). */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  /** @internal Encodes `key` into the scratch key buffer. */
  encodeKey(key: K): Uint8Array | null {
    if (this.#keyless) return null;
    const b = this.#buffers();
    this.writeKey(b.keyView, 0, key);
    return b.key;
  }

  /** @internal Encodes `value` into the scratch value buffer. */
  encodeValue(value: V): Uint8Array {
    const b = this.#buffers();
    this.writeValue(b.valueView, 0, value);
    return b.value;
  }

  // Codec calls: a key or value that does not code is a CodecError naming this map and the side.

  /** @internal Encodes `key` at `offset` of `view`; `path` names it in errors. */
  writeKey(view: DataView, offset: number, key: K, path = 'key'): void {
    try {
      this.keyCodec.write(view, offset, key, path, ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.label(), 'key');
    }
  }

  /** @internal Encodes `value` at `offset` of `view`; `path` names it in errors. */
  writeValue(view: DataView, offset: number, value: V, path = 'value'): void {
    try {
      this.valueCodec.write(view, offset, value, path, ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.label(), 'value');
    }
  }

  /** @internal Decodes the key at `offset` of `view`. */
  readKey(view: DataView, offset: number): K {
    try {
      return this.keyCodec.read(view, offset, ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.label(), 'key');
    }
  }

  /** @internal Decodes the value at `offset` of `view`. */
  readValue(view: DataView, offset: number): V {
    try {
      return this.valueCodec.read(view, offset, ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.label(), 'value');
    }
  }

  /**
   * @internal Decodes the value at `offset` of `view` of an entry the kernel has removed already
   * (lookup-and-delete, pop): a CodecError says so and gives the value's bytes, which are otherwise lost.
   */
  readTakenValue(view: DataView, offset: number): V {
    try {
      return this.valueCodec.read(view, offset, ORDER);
    } catch (e) {
      throw codecErrorOf(e, this.label(), 'value', removedNote(view, offset, this.valueCodec.size));
    }
  }

  // The element channel, made on first use (it asks the kernel for the map's sizes once).
  // After close() the channel is closed too, and refuses calls with the same ObjectClosedError.
  #elem(): MapElemChannel {
    const fd = this.fd;
    this.#channel = new MapElemChannel(fd, mapLabel(this.type, this.name, this.#id));
    return this.#channel;
  }

  // Encodes `key` into the channel's key buffer (maps without keys have none).
  #channelKey(ch: MapElemChannel, key: K): void {
    if (!this.#keyless) this.writeKey(ch.keyView, 0, key);
  }

  /**
   * The value stored under `key`, or undefined when absent. `flags`: `Update.LOCK` to read under
   * the value's spin lock.
   * @throws KeyOutOfRangeError for an index at or past the end of an array map (every index
   * below `maxEntries` is present; `set` refuses the others the same way)
   */
  get(key: K, flags = 0): V | undefined {
    const ch = this.#channel ?? this.#elem();
    this.#channelKey(ch, key);
    if (!ch.lookup(flags)) return this.#absent(ch);
    return this.readValue(ch.valueView, 0);
  }

  // A lookup that found nothing: undefined, or the error of an index past an array's end.
  #absent(ch: MapElemChannel): undefined {
    const e = missingKeyError(this, this.#keyless ? null : ch.key);
    if (e) throw e;
    return undefined;
  }

  /** Stores `value` under `key`. `flags`: `Update.ANY` (default), `NOEXIST`, `EXIST`, `LOCK`. */
  set(key: K, value: V, flags: number = Update.ANY): this {
    const ch = this.#channel ?? this.#elem();
    this.#channelKey(ch, key);
    this.writeValue(ch.valueView, 0, value);
    try {
      ch.update(flags);
    } catch (e) {
      throw writeError(this, ch.fd, 'update', e, this.#keyless ? null : ch.key, flags);
    }
    return this;
  }

  /** Deletes `key`. @returns false when it was absent. */
  delete(key: K): boolean {
    const ch = this.#channel ?? this.#elem();
    this.#channelKey(ch, key);
    try {
      return ch.delete();
    } catch (e) {
      throw writeError(this, ch.fd, 'delete', e, this.#keyless ? null : ch.key, 0);
    }
  }

  /** @internal The pin {@link BpfMap.fromPin} opened the map from, for error messages. */
  openedFrom(): string | undefined {
    return this.#openedFrom;
  }

  /**
   * @internal How error messages name this map (`hash map 'flows'`; an unnamed one by its id,
   * asked for here, while open: error paths only).
   */
  label(): string {
    if (!this.name && this.#id === undefined && !this.closed) {
      try {
        this.#id = mapInfo(this.fd).id;
      } catch {
        // named by its type alone
      }
    }
    return mapLabel(this.type, this.name, this.#id);
  }

  /** True when `key` is present. */
  has(key: K): boolean {
    const ch = this.#channel ?? this.#elem();
    this.#channelKey(ch, key);
    return ch.lookup();
  }

  /** Removes `key` and returns its value (undefined when absent). */
  getAndDelete(key: K): V | undefined {
    const ch = this.#channel ?? this.#elem();
    this.#channelKey(ch, key);
    if (!ch.lookupAndDelete()) return undefined;
    return this.readTakenValue(ch.valueView, 0);
  }

  /** @internal Reads a value into the scratch buffer and decodes it; for wrappers. */
  lookupRaw(key: Uint8Array | null, flags = 0): V | undefined {
    const b = this.#buffers();
    if (!mapLookupElem(this.fd, key, b.value, flags)) return undefined;
    return this.readValue(b.valueView, 0);
  }

  /** @internal Takes (pops) a value from a keyless map. */
  takeRaw(flags = 0): V | undefined {
    const b = this.#buffers();
    if (!mapLookupAndDeleteElem(this.fd, null, b.value, flags)) return undefined;
    return this.readTakenValue(b.valueView, 0);
  }

  /** @internal Writes a value into a keyless map. */
  pushRaw(value: V, flags = 0): void {
    const fd = this.fd;
    try {
      mapUpdateElem(fd, null, this.encodeValue(value), flags);
    } catch (e) {
      throw writeError(this, fd, 'push', e, null, flags);
    }
  }

  /**
   * The key after `key` in the kernel's order (BPF_MAP_GET_NEXT_KEY, libbpf's
   * `bpf_map_get_next_key`), or undefined when `key` is the last; `nextKey()` gives the first key
   * (undefined for an empty map). One step of what {@link BpfMap.keys} walks; the kernel's answer
   * for a `key` the map does not hold is its first key again (hash maps), or index 0 for an index
   * past an array's end.
   * @throws MapTypeError for a map without keys (queue, stack, bloom filter, ring buffer)
   * @throws MapAccessError when the map's fd is write-only ({@link BpfMap.fromPin} with `writeOnly`)
   */
  nextKey(key?: K): K | undefined {
    const fd = this.fd;
    if (this.#keyless)
      throw new MapTypeError('nextKey', this.label(), `${mapTypeName(this.type)} maps have no keys`);
    const current = key === undefined ? null : this.encodeKey(key);
    const storage = new ArrayBuffer(this.keyCodec.size);
    let found: boolean;
    try {
      found = mapGetNextKey(fd, current, new Uint8Array(storage));
    } catch (e) {
      throw accessError(this.label(), fd, 'nextKey', 'read', this.#openedFrom, e) ?? e;
    }
    return found ? this.readKey(new DataView(storage), 0) : undefined;
  }

  /** Every key (survives concurrent deletion: each key present throughout is visited once). */
  *keys(): IterableIterator<K> {
    for (const [k] of entries(this, false)) yield k;
  }

  /** Every value. */
  *values(): IterableIterator<V> {
    for (const [, v] of entries(this, true)) yield v as V;
  }

  /** Every `[key, value]` pair, in batches where the kernel offers batch lookups. */
  *entries(): IterableIterator<[K, V]> {
    yield* entries(this, true) as Iterable<[K, V]>;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Number of entries (array maps: `maxEntries`). Walks the keys. */
  count(): number {
    return count(this as BpfMap<unknown, unknown>);
  }

  /** Removes every entry (arrays: zeroes every slot). @returns how many were removed. */
  clear(): number {
    return clear(this as BpfMap<unknown, unknown>);
  }

  /**
   * One BPF_MAP_LOOKUP_BATCH chunk as raw key and value bytes (no decoding): the fastest walk
   * of a large map. Decode entry `i` with `map.keyCodec.read(new DataView(r.keys.buffer, r.keys.byteOffset, r.keys.byteLength), i * keySize, HOST_BYTE_ORDER)`.
   * Pass the previous result as `into` to refill its storage instead of allocating.
   *
   * @example
   * ```ts
   * let r: RawBatchResult | undefined;
   * for (let cursor: BatchCursor | null = null; ; cursor = r.cursor) {
   *   r = map.getBatchBytes(cursor, 1024, { into: r });
   *   // … read r.count entries from r.keys and r.values
   *   if (r.done) break;
   * }
   * ```
   */
  getBatchBytes(
    cursor: BatchCursor | null = null,
    count = 256,
    options: RawBatchOptions = {},
  ): RawBatchResult {
    return getBatchBytes(this, cursor, count, options);
  }

  /** One BPF_MAP_LOOKUP_BATCH chunk from `cursor` (null: the start); see {@link BatchResult}. */
  getBatch(cursor: BatchCursor | null = null, count = 256): BatchResult<K, V> {
    return getBatch(this, cursor, count);
  }

  /** One BPF_MAP_LOOKUP_AND_DELETE_BATCH chunk. */
  getAndDeleteBatch(cursor: BatchCursor | null = null, count = 256): BatchResult<K, V> {
    return getAndDeleteBatch(this, cursor, count);
  }

  /** BPF_MAP_UPDATE_BATCH of `keys[i] → values[i]`; single updates where the kernel refuses batches. */
  setBatch(keys: readonly K[], values: readonly V[], flags: number = Update.ANY): number {
    try {
      return setBatch(this, keys, values, flags);
    } catch (e) {
      throw writeError(this, this.fd, 'update', e, null, flags);
    }
  }

  /**
   * BPF_MAP_DELETE_BATCH of `keys`, in order; single deletes where the kernel refuses batches.
   * Stops at the first key the map does not hold, as the kernel does.
   * @returns how many keys were deleted: those before the first missing key (all of them when
   * every key was present)
   * @throws MapFrozenError for a frozen map; MapTypeError for an array (its slots cannot be deleted)
   */
  deleteBatch(keys: readonly K[]): number {
    try {
      return deleteBatch(this, keys);
    } catch (e) {
      throw writeError(this, this.fd, 'delete', e, null, 0);
    }
  }

  /**
   * Maps the values of a `BPF_F_MMAPABLE` array (`ArrayMap.create({ …, mmapable: true })`) into
   * memory: {@link MmapArray} reads and writes elements with no system call. Closing the map
   * unmaps every mapping it handed out.
   * @throws MapTypeError when the map is not an array created with `BPF_F_MMAPABLE`
   * @throws MapFrozenError for a writable mapping of a frozen map (map it with `writable: false`)
   * @throws MapAccessError for a map opened read-only ({@link BpfMap.fromPin} with `readOnly`): the
   *   kernel maps BPF arrays only shared, which a read-only file cannot be
   */
  mmap(options: MmapOptions = {}): MmapArray<V> {
    const mapping: MmapArray<V> = mmapValues(this, options, () => this.#mappings?.delete(mapping));
    this.#mappings ??= new Set();
    this.#mappings.add(mapping);
    return mapping;
  }

  /**
   * Makes the map read-only for user space (programs may still write it).
   * @throws MapAccessError when the map's fd is read-only ({@link BpfMap.fromPin} with `readOnly`)
   */
  freeze(): void {
    const fd = this.fd;
    try {
      mapFreeze(fd);
    } catch (e) {
      throw accessError(this.label(), fd, 'freeze', 'write', this.#openedFrom, e) ?? e;
    }
  }

  /**
   * Pins the map at `path` on bpffs (missing parent directories are created).
   * @throws PinPathError (from `@ts-ebpf/syscall`) when the path is not on bpffs; PinError when
   *   something is pinned there already.
   */
  pin(path: string): void {
    const fd = this.fd;
    try {
      pinObject(fd, path);
    } catch (e) {
      throw pinError(this.label(), path, e);
    }
    this.#pinned = path;
  }

  /**
   * Removes the pin made by {@link pin} (or the one at `path`; a pin missing is passed over).
   * @throws UnpinError (from `@ts-ebpf/syscall`) when the removal fails otherwise, naming the path
   */
  unpin(path: string | undefined = this.#pinned): void {
    if (path === undefined) return;
    unpin(path);
    if (path === this.#pinned) this.#pinned = undefined;
  }

  /** Closes the fd; later calls do nothing. A pin keeps the map alive. */
  close(): void {
    try {
      this.#closeParts();
    } finally {
      this.#fd.close();
    }
  }

  /**
   * Does what {@link close} does but close the fd, which it gives up to `closeTogether`
   * (`@ts-ebpf/syscall`) to close with others: the map counts as closed from here.
   * @returns the number, undefined if closed already
   */
  [closeLater](): number | undefined {
    try {
      this.#closeParts();
    } catch (e) {
      this.#fd.close();
      throw e;
    }
    return this.#fd.closed ? undefined : this.#fd.release();
  }

  /** Unmaps every mapping and closes the element channel, all of them even when one throws. */
  #closeParts(): void {
    let failure: { error: unknown } | undefined;
    for (const mapping of this.#mappings ?? []) {
      try {
        mapping.close();
      } catch (error) {
        failure ??= { error };
      }
    }
    try {
      this.#channel?.close();
    } catch (error) {
      failure ??= { error };
    }
    if (failure) throw failure.error;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
