import { BpfCmd, Errno } from '@ts-ebpf/uapi';
import { lazyAttr } from './attr.js';
import { bpfCall, bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import type { MapSizes } from './fd-cache.js';
import { MAP_CREATE, MAP_ELEM } from './layouts.js';
import { keyError, mapSizes, valueBytes, valueError } from './map-sizes.js';
import { withTokenFlag } from './token.js';
import { checkFd, checkObjectName, checkU32, checkU64, shortBytes } from './validate.js';

/** Options of BPF_MAP_CREATE (`union bpf_attr`, anonymous struct for map creation). */
export interface MapCreateAttr {
  /** `BpfMapType.*`. */
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** `BPF_F_*` map flags. */
  mapFlags?: number;
  /** Inner map template fd, for map-in-map types. */
  innerMapFd?: number;
  /** NUMA node (set `BPF_F_NUMA_NODE` in mapFlags too). */
  numaNode?: number;
  /** At most 15 characters of `[A-Za-z0-9_.]`. */
  mapName?: string;
  mapIfindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint | number;
  valueTypeBtfObjFd?: number;
  /** A `BpfToken`'s fd: the map is created under the token (BPF_F_TOKEN_FD is set in map_flags). */
  mapTokenFd?: number;
}

const createAttr = lazyAttr(MAP_CREATE.SIZE);

/** BPF_MAP_CREATE: creates a map and returns its fd. */
export function mapCreate(o: MapCreateAttr): number {
  const a = createAttr().reset();
  a.u32(MAP_CREATE.map_type, checkU32(o.mapType, 'mapType'))
    .u32(MAP_CREATE.key_size, checkU32(o.keySize, 'keySize'))
    .u32(MAP_CREATE.value_size, checkU32(o.valueSize, 'valueSize'))
    .u32(MAP_CREATE.max_entries, checkU32(o.maxEntries, 'maxEntries'))
    .u32(
      MAP_CREATE.map_flags,
      withTokenFlag(checkU32(o.mapFlags ?? 0, 'mapFlags'), o.mapTokenFd, 'mapFlags', 'mapTokenFd'),
    )
    .u32(MAP_CREATE.inner_map_fd, o.innerMapFd === undefined ? 0 : checkFd(o.innerMapFd, 'innerMapFd'))
    .u32(MAP_CREATE.numa_node, checkU32(o.numaNode ?? 0, 'numaNode'))
    .chars(MAP_CREATE.map_name, 16, checkObjectName(o.mapName ?? '', 'mapName'))
    .u32(MAP_CREATE.map_ifindex, checkU32(o.mapIfindex ?? 0, 'mapIfindex'))
    .u32(MAP_CREATE.btf_fd, o.btfFd === undefined ? 0 : checkFd(o.btfFd, 'btfFd'))
    .u32(MAP_CREATE.btf_key_type_id, checkU32(o.btfKeyTypeId ?? 0, 'btfKeyTypeId'))
    .u32(MAP_CREATE.btf_value_type_id, checkU32(o.btfValueTypeId ?? 0, 'btfValueTypeId'))
    .u32(
      MAP_CREATE.btf_vmlinux_value_type_id,
      checkU32(o.btfVmlinuxValueTypeId ?? 0, 'btfVmlinuxValueTypeId'),
    )
    .u64(MAP_CREATE.map_extra, checkU64(o.mapExtra ?? 0, 'mapExtra'))
    .u32(
      MAP_CREATE.value_type_btf_obj_fd,
      o.valueTypeBtfObjFd === undefined ? 0 : checkFd(o.valueTypeBtfObjFd, 'valueTypeBtfObjFd'),
    )
    .u32(MAP_CREATE.map_token_fd, o.mapTokenFd === undefined ? 0 : checkFd(o.mapTokenFd, 'mapTokenFd'));
  const size =
    o.valueTypeBtfObjFd !== undefined || o.mapTokenFd !== undefined
      ? MAP_CREATE.SIZE
      : MAP_CREATE.value_type_btf_obj_fd;
  const fd = bpfTry(BpfCmd.MAP_CREATE, a, size);
  if (fd < 0) {
    throw syscallError(-fd, {
      syscall: 'bpf',
      command: 'BPF_MAP_CREATE',
      token: o.mapTokenFd !== undefined,
    });
  }
  return fd;
}

// One attr for every single-element command.
const elemAttr = lazyAttr(MAP_ELEM.SIZE);
let elemFd = 0;
let elemFlags: bigint | number = 0;

function elem(
  cmd: number,
  fd: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  flags: bigint | number,
) {
  const a = elemAttr();
  // The attr keeps its fields between calls: rewrite only what changed.
  if (fd !== elemFd) {
    a.u32(MAP_ELEM.map_fd, checkFd(fd, 'mapFd'));
    elemFd = fd;
  }
  a.ptr(MAP_ELEM.key, key).ptr(MAP_ELEM.value, value);
  if (flags !== elemFlags) {
    // Flags that fit 32 bits (all but BPF_F_CPU's CPU number) skip BigInt.
    // (`>>> 0` keeps an integer of 32 bits as it is: anything else is checked, never truncated.)
    if (typeof flags === 'number' && flags >>> 0 === flags) a.u64small(MAP_ELEM.flags, flags);
    else a.u64(MAP_ELEM.flags, checkU64(flags, 'flags'));
    elemFlags = flags;
  }
  return bpfTry(cmd, a, MAP_ELEM.SIZE);
}

function elemOrThrow(name: string, result: number, fd: number, allowMissing: boolean): boolean {
  if (result >= 0) return true;
  if (allowMissing && result === -Errno.ENOENT) return false;
  throw syscallError(-result, { syscall: 'bpf', command: name, detail: `map fd ${fd}` });
}

// The size checks below (shortBytes) compare `length`, a Uint8Array's byteLength and cheaper to
// read. The map's sizes come from the per-fd cache: no system call once an fd is known.

/** Checks `key` against the map's key size; `optional`: null is allowed (the first key). */
function checkKey(
  fd: number,
  s: MapSizes,
  name: string,
  argument: string,
  key: Uint8Array | null,
  optional: boolean,
) {
  if (key === null) {
    if (!optional && s.keySize > 0) keyError(fd, s, name, argument, key);
  } else if (shortBytes(key, s.keySize)) {
    keyError(fd, s, name, argument, key);
  }
}

/** Checks `value` against what the kernel reads or writes for one element with `flags`. */
function checkValue(fd: number, s: MapSizes, name: string, value: Uint8Array, flags: number | bigint) {
  const needed = valueBytes(s, flags);
  if (shortBytes(value, needed)) {
    valueError(fd, s, name, 'value', value, needed);
  }
}

const LOOKUP = 'BPF_MAP_LOOKUP_ELEM';
const UPDATE = 'BPF_MAP_UPDATE_ELEM';
const DELETE = 'BPF_MAP_DELETE_ELEM';
const LOOKUP_AND_DELETE = 'BPF_MAP_LOOKUP_AND_DELETE_ELEM';
const NEXT_KEY = 'BPF_MAP_GET_NEXT_KEY';

/**
 * BPF_MAP_LOOKUP_ELEM: copies the value for `key` into `value`.
 * `value` must hold what the kernel writes: the map's value size, or for per-CPU maps
 * round_up(value size, 8) × the number of possible CPUs (one CPU's slot with BPF_F_CPU).
 * @returns false when the key is absent (ENOENT); throws on other errors.
 * @throws BufferSizeError for a detached key or value, or one shorter than the map's sizes
 */
export function mapLookupElem(
  fd: number,
  key: Uint8Array | null,
  value: Uint8Array,
  flags: number | bigint = 0,
): boolean {
  const s = mapSizes(fd, LOOKUP);
  checkKey(fd, s, LOOKUP, 'key', key, false);
  checkValue(fd, s, LOOKUP, value, flags);
  const r = elem(BpfCmd.MAP_LOOKUP_ELEM, fd, key, value, flags);
  return r >= 0 || elemOrThrow(LOOKUP, r, fd, true);
}

/**
 * BPF_MAP_UPDATE_ELEM with `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST` and/or `BPF_F_LOCK`.
 * @throws BufferSizeError for a detached key or value, or one shorter than the map's sizes
 */
export function mapUpdateElem(
  fd: number,
  key: Uint8Array | null,
  value: Uint8Array,
  flags: number | bigint = 0,
): void {
  const s = mapSizes(fd, UPDATE);
  checkKey(fd, s, UPDATE, 'key', key, false);
  checkValue(fd, s, UPDATE, value, flags);
  const r = elem(BpfCmd.MAP_UPDATE_ELEM, fd, key, value, flags);
  if (r < 0) elemOrThrow(UPDATE, r, fd, false);
}

/**
 * BPF_MAP_DELETE_ELEM. @returns false when the key was absent.
 * @throws BufferSizeError for a detached key or one shorter than the map's key size
 */
export function mapDeleteElem(fd: number, key: Uint8Array | null, flags: number = 0): boolean {
  const s = mapSizes(fd, DELETE);
  checkKey(fd, s, DELETE, 'key', key, false);
  const r = elem(BpfCmd.MAP_DELETE_ELEM, fd, key, null, flags);
  return r >= 0 || elemOrThrow(DELETE, r, fd, true);
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM (also the pop of queue and stack maps, with a null key).
 * @returns false when there was nothing to take.
 * @throws BufferSizeError for a detached key or value, or one shorter than the map's sizes
 */
export function mapLookupAndDeleteElem(
  fd: number,
  key: Uint8Array | null,
  value: Uint8Array,
  flags: number = 0,
): boolean {
  const s = mapSizes(fd, LOOKUP_AND_DELETE);
  checkKey(fd, s, LOOKUP_AND_DELETE, 'key', key, false);
  checkValue(fd, s, LOOKUP_AND_DELETE, value, flags);
  const r = elem(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, flags);
  return r >= 0 || elemOrThrow(LOOKUP_AND_DELETE, r, fd, true);
}

/**
 * BPF_MAP_GET_NEXT_KEY: the key after `key` (or the first key for null) into `nextKey`.
 * @returns false at the end of the map.
 * @throws BufferSizeError for a detached key or nextKey, or one shorter than the map's key size
 */
export function mapGetNextKey(fd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
  const s = mapSizes(fd, NEXT_KEY);
  checkKey(fd, s, NEXT_KEY, 'key', key, true);
  checkKey(fd, s, NEXT_KEY, 'nextKey', nextKey, false);
  const r = elem(BpfCmd.MAP_GET_NEXT_KEY, fd, key, nextKey, 0);
  return r >= 0 || elemOrThrow(NEXT_KEY, r, fd, true);
}

const fdAttr = lazyAttr(16);

/** BPF_MAP_FREEZE: makes the map read-only for user space. */
export function mapFreeze(fd: number): void {
  bpfCall(BpfCmd.MAP_FREEZE, fdAttr().reset().u32(0, checkFd(fd, 'mapFd')), 4);
}

/** BPF_PROG_BIND_MAP: keeps `mapFd` alive as long as the program. */
export function progBindMap(progFd: number, mapFd: number, flags = 0): void {
  fdAttr()
    .reset()
    .u32(0, checkFd(progFd, 'progFd'))
    .u32(4, checkFd(mapFd, 'mapFd'))
    .u32(8, checkU32(flags, 'flags'));
  bpfCall(BpfCmd.PROG_BIND_MAP, fdAttr(), 12);
}
