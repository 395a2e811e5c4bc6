import { BpfCmd, Errno, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { BpfArgumentError, ObjectClosedError, syscallError } from './errors.js';
import { type FdWatcher, type MapSizes, unwatchFd, watchFd } from './fd-cache.js';
import { sysBpfTry } from './ffi/bpf-call.js';
import { allocNative } from './ffi/memory.js';
import { MAP_ELEM } from './layouts.js';
import { mapSizes } from './map-sizes.js';
import { checkFd } from './validate.js';

// Native blocks are freed once their ArrayBuffer is garbage: no view of them can outlive the memory.
const nativeBlocks = new FinalizationRegistry<() => void>((free) => free());

const LOOKUP = 'BPF_MAP_LOOKUP_ELEM';
const UPDATE = 'BPF_MAP_UPDATE_ELEM';
const DELETE = 'BPF_MAP_DELETE_ELEM';
const LOOKUP_AND_DELETE = 'BPF_MAP_LOOKUP_AND_DELETE_ELEM';

// BPF_MAP_DELETE_ELEM's last field is `key`: the kernel refuses non-zero bytes after it, so the
// command is given only the attr's first 16 bytes (map_fd and key).
const DELETE_SIZE = MAP_ELEM.key + 8;

const align8 = (n: number) => (n + 7) & ~7;

/**
 * The single-element commands of one map (lookup, update, delete, lookup-and-delete) with
 * their `bpf_attr`, key and value in one block of native memory, checked once against the
 * map's sizes: a call writes the key into {@link MapElemChannel.key}, makes one `bpf()` call
 * and leaves the value in {@link MapElemChannel.value}, with no per-call marshalling. This is
 * the hot path of `BpfMap.get`/`set` in `@ts-ebpf/maps`.
 *
 * `key` holds the map's key size (empty for maps without keys: queues, stacks, bloom filters);
 * `value` holds what the kernel writes for one element (per-CPU maps: round_up(value_size, 8) ×
 * the number of possible CPUs), so no flag makes the kernel read or write outside them.
 *
 * The channel does not own the fd: close it when the map's fd is closed. Before each call it
 * checks that what this package knows of the fd is what it was checked against; when the fd
 * was closed and reopened through this package it is checked again, and refused if it now
 * names another map. The native memory is freed once the channel and every view of it are
 * garbage.
 */
export class MapElemChannel implements FdWatcher {
  /** The key the next call passes (native memory, `keySize` bytes). */
  readonly key: Uint8Array;
  /** The value buffer (native memory): what an update sends and a lookup receives. */
  readonly value: Uint8Array;
  /** A DataView over {@link MapElemChannel.key}. */
  readonly keyView: DataView;
  /** A DataView over {@link MapElemChannel.value}. */
  readonly valueView: DataView;
  /** The map's fd. */
  readonly fd: number;
  readonly #attr: number;
  readonly #attrView: DataView;
  readonly #what: string;
  #sizes: MapSizes;
  #flags: number | bigint = 0;
  // 0: ready; 1: what this package knew of the fd was dropped (check again); 2: closed. One field,
  // so the hot path reads one word of this object and nothing else.
  #state = 0;

  /**
   * Binds the element commands to the map at `fd` (its sizes come from the kernel, once).
   * @param what - names the map in the error of a call after close (default `map fd <fd>`)
   * @throws BadFileDescriptorError when `fd` is not open; BpfArgumentError when it is not a map
   */
  constructor(fd: number, what = `map fd ${fd}`) {
    checkFd(fd, 'mapFd');
    const s = mapSizes(fd, 'map element channel');
    const keyAt = MAP_ELEM.SIZE;
    const valueAt = keyAt + align8(s.keySize);
    const size = valueAt + Math.max(8, align8(s.valueBytes));
    const block = allocNative(size);
    nativeBlocks.register(block.buffer, block.free);
    new Uint8Array(block.buffer).fill(0);
    this.fd = fd;
    this.#what = what;
    this.#sizes = s;
    watchFd(fd, this);
    this.#attr = block.address;
    this.#attrView = new DataView(block.buffer, 0, MAP_ELEM.SIZE);
    this.key = new Uint8Array(block.buffer, keyAt, s.keySize);
    this.value = new Uint8Array(block.buffer, valueAt, s.valueBytes);
    this.keyView = new DataView(block.buffer, keyAt, s.keySize);
    this.valueView = new DataView(block.buffer, valueAt, s.valueBytes);
    const le = HOST_LITTLE_ENDIAN;
    this.#attrView.setUint32(MAP_ELEM.map_fd, fd, le);
    if (s.keySize > 0) this.#address(MAP_ELEM.key, block.address + keyAt);
    this.#address(MAP_ELEM.value, block.address + valueAt);
  }

  #address(offset: number, address: number): void {
    const low = address % 0x100000000;
    const high = (address - low) / 0x100000000;
    this.#attrView.setUint32(offset + (HOST_LITTLE_ENDIAN ? 0 : 4), low, HOST_LITTLE_ENDIAN);
    this.#attrView.setUint32(offset + (HOST_LITTLE_ENDIAN ? 4 : 0), high, HOST_LITTLE_ENDIAN);
  }

  /** True once {@link MapElemChannel.close} was called. */
  get closed(): boolean {
    return this.#state === 2;
  }

  /** @internal What this package knew of the fd was dropped: check it again before the next call. */
  fdForgotten(): void {
    if (this.#state === 0) this.#state = 1;
  }

  // Closed, or the fd must be checked again (it was closed, or a new file got its number).
  #notReady(command: string): void {
    if (this.#state === 2) throw new ObjectClosedError(this.#what);
    const s = mapSizes(this.fd, command);
    if (s.id !== this.#sizes.id) {
      throw new BpfArgumentError(
        'mapFd',
        `${command}: fd ${this.fd} was closed and now refers to another map (id ${s.id}, was id ${this.#sizes.id})`,
      );
    }
    this.#sizes = s;
    this.#state = 0;
    watchFd(this.fd, this);
  }

  #setFlags(flags: number | bigint): void {
    const le = HOST_LITTLE_ENDIAN;
    if (typeof flags === 'number' && Number.isInteger(flags) && flags >= 0 && flags <= 0xffffffff) {
      this.#attrView.setUint32(MAP_ELEM.flags + (le ? 0 : 4), flags, le);
      this.#attrView.setUint32(MAP_ELEM.flags + (le ? 4 : 0), 0, le);
    } else {
      const big = typeof flags === 'bigint' ? flags : Number.isInteger(flags) ? BigInt(flags) : -1n;
      if (big < 0n || big > 0xffffffffffffffffn)
        throw new BpfArgumentError('flags', `expected an unsigned 64-bit integer, got ${flags}`);
      this.#attrView.setBigUint64(MAP_ELEM.flags, big, le);
    }
    this.#flags = flags;
  }

  #fail(command: string, result: number): never {
    throw syscallError(-result, { syscall: 'bpf', command, detail: `map fd ${this.fd}` });
  }

  /**
   * BPF_MAP_LOOKUP_ELEM of {@link MapElemChannel.key} into {@link MapElemChannel.value}.
   * @param flags - `BPF_F_LOCK`, or for per-CPU maps `BPF_F_CPU` with the CPU in the upper 32 bits
   * @returns false when the key is absent (ENOENT)
   */
  lookup(flags: number | bigint = 0): boolean {
    if (this.#state !== 0) this.#notReady(LOOKUP);
    if (flags !== this.#flags) this.#setFlags(flags);
    const r = sysBpfTry(BpfCmd.MAP_LOOKUP_ELEM, this.#attr, MAP_ELEM.SIZE);
    if (r >= 0) return true;
    if (r === -Errno.ENOENT) return false;
    return this.#fail(LOOKUP, r);
  }

  /** BPF_MAP_UPDATE_ELEM of {@link MapElemChannel.key} → {@link MapElemChannel.value} with `BPF_ANY`/`NOEXIST`/`EXIST`/`F_LOCK`. */
  update(flags: number | bigint = 0): void {
    if (this.#state !== 0) this.#notReady(UPDATE);
    if (flags !== this.#flags) this.#setFlags(flags);
    const r = sysBpfTry(BpfCmd.MAP_UPDATE_ELEM, this.#attr, MAP_ELEM.SIZE);
    if (r < 0) this.#fail(UPDATE, r);
  }

  /** BPF_MAP_DELETE_ELEM of {@link MapElemChannel.key}. @returns false when it was absent. */
  delete(): boolean {
    if (this.#state !== 0) this.#notReady(DELETE);
    const r = sysBpfTry(BpfCmd.MAP_DELETE_ELEM, this.#attr, DELETE_SIZE);
    if (r >= 0) return true;
    if (r === -Errno.ENOENT) return false;
    return this.#fail(DELETE, r);
  }

  /**
   * BPF_MAP_LOOKUP_AND_DELETE_ELEM of {@link MapElemChannel.key} into {@link MapElemChannel.value}
   * (the pop of queues and stacks). @returns false when there was nothing to take.
   */
  lookupAndDelete(flags: number | bigint = 0): boolean {
    if (this.#state !== 0) this.#notReady(LOOKUP_AND_DELETE);
    if (flags !== this.#flags) this.#setFlags(flags);
    const r = sysBpfTry(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, this.#attr, MAP_ELEM.SIZE);
    if (r >= 0) return true;
    if (r === -Errno.ENOENT) return false;
    return this.#fail(LOOKUP_AND_DELETE, r);
  }

  /** Refuses further calls (the fd is not closed: it is not the channel's). Idempotent. */
  close(): void {
    if (this.#state === 2) return;
    this.#state = 2;
    unwatchFd(this.fd, this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
