import { readFileSync } from 'node:fs';
import { BpfSyscallError, pageSize, probeMapType } from '@ts-ebpf/syscall';
import { Errno, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import {
  KeyExistsError,
  KeyNotFoundError,
  KeyOutOfRangeError,
  MapCreateError,
  MapFrozenError,
  MapFullError,
  MapSpecError,
  MapTypeError,
  PinError,
} from './errors.js';
import { isArrayType, isKeyless, MapType, mapTypeName, Update } from './map-types.js';

// Errors turned into meaning: checks of a spec before BPF_MAP_CREATE, and the kernel's errno of a
// failed map operation read in its context. Only error paths come here.

/** How messages name a map: `hash map 'counts'`, or `hash map (id 12)` when it has no name. */
export function mapLabel(type: number, name: string, id?: number): string {
  const t = mapTypeName(type);
  if (name) return `${t} map '${name}'`;
  return id === undefined ? `unnamed ${t} map` : `${t} map (id ${id})`;
}

// Types created with max_entries 0 (the kernel refuses any other value).
const noEntries = new Set<number>([
  MapType.CGROUP_STORAGE,
  MapType.PERCPU_CGROUP_STORAGE,
  MapType.SK_STORAGE,
  MapType.INODE_STORAGE,
  MapType.TASK_STORAGE,
  MapType.CGRP_STORAGE,
]);

// Types created with value_size 0.
const noValue = new Set<number>([MapType.RINGBUF, MapType.USER_RINGBUF, MapType.ARENA]);

/** The sizes and extras of a map about to be created. */
export interface CreateRequest {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly mapExtra?: bigint | number;
}

/** The largest `map_extra` of a bloom filter: the number of hash functions lives in its low 4 bits. */
const BLOOM_MAX_HASHES = 15;
/** `struct bpf_lpm_trie_key_hdr` (the u32 prefix length before the address bytes). */
const LPM_HEADER = 4;
/** The kernel's `LPM_DATA_SIZE_MAX`. */
const LPM_DATA_MAX = 256;

/** Throws a {@link MapSpecError} for a spec the kernel would refuse, before asking it. */
export function checkSpec(label: string, r: CreateRequest): void {
  const { type, keySize, valueSize, maxEntries } = r;
  if (maxEntries === 0 && !noEntries.has(type))
    throw new MapSpecError(label, 'maxEntries', 'is 0: a map needs room for at least one entry');
  if (valueSize === 0 && !noValue.has(type))
    throw new MapSpecError(
      label,
      'valueSize',
      `is 0: ${mapTypeName(type)} maps store values of at least 1 byte`,
    );
  if (keySize === 0 && !isKeyless(type))
    throw new MapSpecError(label, 'keySize', `is 0: ${mapTypeName(type)} maps need keys of at least 1 byte`);
  if (type === MapType.RINGBUF || type === MapType.USER_RINGBUF) {
    const page = pageSize();
    if (maxEntries % page !== 0 || (maxEntries & (maxEntries - 1)) !== 0)
      throw new MapSpecError(
        label,
        'maxEntries',
        `is ${maxEntries}: a ring buffer's size must be a power-of-2 multiple of the page size (${page}), e.g. ${page * 64}`,
      );
  }
  if (type === MapType.BLOOM_FILTER && r.mapExtra !== undefined && BigInt(r.mapExtra) > BLOOM_MAX_HASHES)
    throw new MapSpecError(
      label,
      'mapExtra',
      `(hash functions) is ${r.mapExtra}: a bloom filter has at most ${BLOOM_MAX_HASHES}`,
    );
  if (type === MapType.LPM_TRIE) {
    const data = keySize - LPM_HEADER;
    if (data < 1 || data > LPM_DATA_MAX)
      throw new MapSpecError(
        label,
        'keySize',
        `is ${keySize}: an LPM trie key is a 4-byte prefix length and 1..${LPM_DATA_MAX} address bytes`,
      );
  }
}

function describeRequest(r: CreateRequest): string {
  const extra = r.mapExtra ? `, mapExtra ${r.mapExtra}` : '';
  return `${mapTypeName(r.type)}, keySize ${r.keySize}, valueSize ${r.valueSize}, maxEntries ${r.maxEntries}, flags 0x${r.flags.toString(16)}${extra}`;
}

const unsupportedCodes = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUPP']);

/** A failed BPF_MAP_CREATE as a {@link MapCreateError} naming the map and what was asked. */
export function createError(label: string, r: CreateRequest, e: unknown): unknown {
  if (!(e instanceof BpfSyscallError)) return e;
  const asked = `asked for ${describeRequest(r)}`;
  // The "too new" hint only when a probe shows this kernel creates no map of the type.
  const probe = probeMapType(r.type);
  if (!probe.supported) {
    const tooNew = unsupportedCodes.has(probe.reason ?? '') ? ' (map type too new for this kernel?)' : '';
    return new MapCreateError(
      label,
      `this kernel creates no ${mapTypeName(r.type)} map at all (probe: ${probe.reason})${tooNew}; ${asked}`,
      e,
    );
  }
  const why =
    e.errno === Errno.EINVAL
      ? 'the kernel refused these arguments for this map type (flags, sizes, BTF or inner map)'
      : (e.hint ?? 'see the cause');
  return new MapCreateError(label, `${why}; ${asked}`, e);
}

/** True when `/proc/self/fdinfo/<fd>` says the map is frozen. */
/** True when the map at `fd` is frozen (read from its fdinfo). */
export function isFrozen(fd: number): boolean {
  try {
    return /^frozen:\s*1/m.test(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  } catch {
    return false;
  }
}

/** The /proc/self/fd link target of map fds (syscall's `fdTarget`). */
export const MAP_FD_KIND = 'anon_inode:bpf-map';

/** The map a failed operation was made on. */
export interface FailedOn {
  readonly type: number;
  readonly maxEntries: number;
  readonly keySize: number;
  /** The map as messages name it (may read its id: error path only). */
  label(): string;
}

function u32Key(key: Uint8Array | null): number | undefined {
  if (!key || key.byteLength < 4) return undefined;
  return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, HOST_LITTLE_ENDIAN);
}

/**
 * The meaning of a failed write (update, push, delete) of `fd`'s map, or `e` itself when the errno
 * says nothing more here. `key` is the encoded key that was sent (null for keyless maps and batches).
 */
export function writeError(
  map: FailedOn,
  fd: number,
  operation: 'update' | 'push' | 'delete',
  e: unknown,
  key: Uint8Array | null,
  flags: number,
): unknown {
  if (!(e instanceof BpfSyscallError)) return e;
  if (e.errno === Errno.EPERM && isFrozen(fd)) return new MapFrozenError(map.label(), operation, e);
  if (operation === 'update' && e.errno === Errno.EEXIST && (flags & Update.NOEXIST) !== 0)
    return new KeyExistsError(map.label(), e);
  if (operation === 'update' && e.errno === Errno.ENOENT && (flags & Update.EXIST) !== 0)
    return new KeyNotFoundError(map.label(), e);
  if (e.errno === Errno.E2BIG) {
    if (isArrayType(map.type)) {
      const index = u32Key(key);
      const which = index === undefined ? 'an index' : `index ${index}`;
      return new KeyOutOfRangeError(
        map.label(),
        `${which} is out of range: the array has ${map.maxEntries} entries (0..${map.maxEntries - 1})`,
        e,
      );
    }
    if (operation === 'push')
      return new MapFullError(map.label(), map.maxEntries, 'pop first, or push with PUSH_OVERWRITE', e);
    if (operation === 'update' && (flags & Update.EXIST) === 0)
      return new MapFullError(
        map.label(),
        map.maxEntries,
        'delete entries first, create it with a larger maxEntries, or use an LRU hash',
        e,
      );
  }
  if (e.errno === Errno.EINVAL) {
    if (operation === 'delete' && isArrayType(map.type))
      return new MapTypeError(
        'delete',
        map.label(),
        `${mapTypeName(map.type)} slots cannot be deleted (all maxEntries always exist): set the value to zero instead`,
      );
    if (map.type === MapType.LPM_TRIE && operation !== 'push') {
      const prefix = u32Key(key);
      const bits = (map.keySize - LPM_HEADER) * 8;
      if (prefix !== undefined && prefix > bits)
        return new KeyOutOfRangeError(
          map.label(),
          `prefixLen ${prefix} is longer than the ${bits}-bit address of the key`,
          e,
        );
    }
  }
  return e;
}

/**
 * A failed pin of `what` at `path` with its cause found (something pinned there already), or `e`.
 * A path off bpffs is refused before the call by syscall's `pinObject` (`PinPathError`, naming
 * the path and the directory); missing directories are created.
 */
export function pinError(what: string, path: string, e: unknown): unknown {
  if (!(e instanceof BpfSyscallError)) return e;
  if (e.code === 'EEXIST')
    return new PinError(
      what,
      path,
      'something is pinned there already: unpin it first or choose another path',
      e,
    );
  return e;
}
