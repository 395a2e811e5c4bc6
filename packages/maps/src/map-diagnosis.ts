import { readFileSync } from 'node:fs';
import { BpfSyscallError, inInitialUserNamespace, probeMapType } from '@ts-ebpf/syscall';
import { Errno, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import {
  KeyExistsError,
  KeyNotFoundError,
  KeyOutOfRangeError,
  MapCreateError,
  MapFrozenError,
  MapFullError,
  MapTypeError,
  PinError,
} from './errors.js';
import { accessError } from './map-access.js';
import { isArrayType, MapType, mapTypeName, Update } from './map-types.js';
import { type CreateRequest, LPM_HEADER } from './spec-check.js';

// Errors turned into meaning: the kernel's errno of a failed map creation or operation read in its
// context (a spec is checked before BPF_MAP_CREATE by spec-check.ts). Only error paths come here.

/** How messages name a map: `hash map 'counts'`, or `hash map (id 12)` when it has no name. */
export function mapLabel(type: number, name: string, id?: number): string {
  const t = mapTypeName(type);
  if (name) return `${t} map '${name}'`;
  return id === undefined ? `unnamed ${t} map` : `${t} map (id ${id})`;
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
  // EPERM under a token, or in a user namespace, is a missing privilege: a probe, refused the
  // same way, would tell nothing of the type.
  if (e.errno === Errno.EPERM && (r.withToken || !inInitialUserNamespace())) {
    const why = r.withToken
      ? `the BPF token does not allow it: the token's bpffs must delegate map_create (delegate_cmds) and ${mapTypeName(r.type)} maps (delegate_maps)`
      : (e.hint ?? 'see the cause');
    return new MapCreateError(label, `${why}; ${asked}`, e);
  }
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
  /** The pin the map was opened from (`BpfMap.fromPin`), for messages; undefined otherwise. */
  openedFrom?(): string | undefined;
}

function u32Key(key: Uint8Array | null): number | undefined {
  if (!key || key.byteLength < 4) return undefined;
  return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, HOST_LITTLE_ENDIAN);
}

/**
 * A lookup of `key` that found nothing (ENOENT), when that is a mistake rather than an absent
 * key: an index at or past the end of an array, which holds every index below `maxEntries` and
 * none above (as an update of it is refused with E2BIG). `undefined` otherwise.
 */
export function missingKeyError(map: FailedOn, key: Uint8Array | null): KeyOutOfRangeError | undefined {
  if (!isArrayType(map.type)) return undefined;
  const index = u32Key(key);
  if (index === undefined || index < map.maxEntries) return undefined;
  return new KeyOutOfRangeError(
    map.label(),
    `index ${index} is out of range: the array has ${map.maxEntries} entries (0..${map.maxEntries - 1})`,
    new BpfSyscallError(Errno.ENOENT, { syscall: 'bpf', command: 'BPF_MAP_LOOKUP_ELEM' }),
  );
}

/**
 * The meaning of a failed write (update, push, delete) of `fd`'s map, or `e` itself when the errno
 * says nothing more here: EPERM through a read-only fd is a `MapAccessError`, on a frozen map a
 * `MapFrozenError`. `key` is the encoded key that was sent (null for keyless maps and batches).
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
  if (e.errno === Errno.EPERM) {
    // the fd's own access first: a read-only fd refuses writes, frozen or not
    const denied = accessError(map.label(), fd, operation, 'write', map.openedFrom?.(), e);
    if (denied) return denied;
    if (isFrozen(fd)) return new MapFrozenError(map.label(), operation, e);
  }
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
