import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import { isArrayType, MapType } from './map-types.js';

// What BPF_MAP_CREATE of each map type needs beyond what every type does, as the kernel's
// allocation check of the type refuses it with EINVAL: kernel/bpf/arraymap.c
// (array_map_alloc_check, fd_array_map_alloc_check), hashtab.c (fd_htab_map_alloc_check),
// devmap.c (dev_map_init_map), cpumap.c, stackmap.c, lpm_trie.c (trie_alloc), local_storage.c,
// bpf_local_storage.c (bpf_local_storage_map_alloc_check), reuseport_array.c,
// net/core/sock_map.c (sock_map_alloc, sock_hash_alloc) and net/xdp/xskmap.c.

const localStorage = new Set<number>([
  MapType.SK_STORAGE,
  MapType.INODE_STORAGE,
  MapType.TASK_STORAGE,
  MapType.CGRP_STORAGE,
]);

/**
 * True for the local-storage types (sk, inode, task, cgrp storage): created with `maxEntries` 0,
 * `BPF_F_NO_PREALLOC`, a 4-byte key (an fd) and BTF describing the key and value.
 */
export function isLocalStorage(type: number): boolean {
  return localStorage.has(type);
}

const entryless = new Set<number>([MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE, ...localStorage]);

/**
 * True for map types created with `maxEntries` 0, the kernel refusing any other value: cgroup
 * storage and local storage, whose entries live on the objects they belong to.
 */
export function isEntryless(type: number): boolean {
  return entryless.has(type);
}

const valueless = new Set<number>([MapType.RINGBUF, MapType.USER_RINGBUF, MapType.ARENA]);

/** True for map types created with `valueSize` 0 (ring buffers, arena), the kernel refusing any other. */
export function isValueless(type: number): boolean {
  return valueless.has(type);
}

// Indexed by a u32 like the array types, without being one.
const u32Keyed = new Set<number>([MapType.DEVMAP_HASH, MapType.STACK_TRACE, ...localStorage]);

/**
 * The key size a type takes when it takes one size only: 4 for the array types, devmap_hash,
 * stack traces and local storage; undefined for the others.
 */
export function fixedKeySize(type: number): number | undefined {
  return isArrayType(type) || u32Keyed.has(type) ? 4 : undefined;
}

/** The value sizes of a type that takes only some, and what such a value holds. */
export interface ValueRule {
  readonly sizes: readonly number[];
  readonly holds: string;
}

const fd: ValueRule = { sizes: [4], holds: 'an fd (a u32)' };
const socket: ValueRule = { sizes: [4, 8], holds: 'a socket fd (a u32; 8 bytes read back its cookie)' };
const device: ValueRule = { sizes: [4, 8], holds: 'an ifindex (a u32), or an ifindex and a program fd' };
const cpu: ValueRule = { sizes: [4, 8], holds: 'a queue size (a u32), or a queue size and a program fd' };
const valueRules = new Map<number, ValueRule>([
  [MapType.PROG_ARRAY, fd],
  [MapType.PERF_EVENT_ARRAY, fd],
  [MapType.CGROUP_ARRAY, fd],
  [MapType.ARRAY_OF_MAPS, fd],
  [MapType.HASH_OF_MAPS, fd],
  [MapType.XSKMAP, fd],
  [MapType.SOCKMAP, socket],
  [MapType.SOCKHASH, socket],
  [MapType.REUSEPORT_SOCKARRAY, socket],
  [MapType.DEVMAP, device],
  [MapType.DEVMAP_HASH, device],
  [MapType.CPUMAP, cpu],
]);

/** The value sizes a type takes when it takes only some (fds, devices, CPUs); undefined for the others. */
export function valueRule(type: number): ValueRule | undefined {
  return valueRules.get(type);
}

/** The `BPF_F_*` flag a type must be created with, and its name. */
export interface FlagRule {
  readonly flag: number;
  readonly name: string;
}

const noPrealloc: FlagRule = { flag: BpfMapCreateFlag.NO_PREALLOC, name: 'BPF_F_NO_PREALLOC' };

/** The flag a type must be created with (LPM tries and local storage: `BPF_F_NO_PREALLOC`), if any. */
export function requiredFlag(type: number): FlagRule | undefined {
  return type === MapType.LPM_TRIE || localStorage.has(type) ? noPrealloc : undefined;
}

/** True for the map-in-map types, created from an inner map template (`innerMap`). */
export function needsInnerMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}
