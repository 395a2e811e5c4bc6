import { readFileSync } from 'node:fs';
import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import { isArrayType, MapType } from './map-types.js';

// What BPF_MAP_CREATE of each map type needs beyond what every type does, as the kernel's
// allocation check of the type refuses it with EINVAL: kernel/bpf/arraymap.c
// (array_map_alloc_check, fd_array_map_alloc_check), hashtab.c (fd_htab_map_alloc_check),
// devmap.c (dev_map_init_map), cpumap.c, stackmap.c, lpm_trie.c (trie_alloc), local_storage.c,
// bpf_local_storage.c (bpf_local_storage_map_alloc_check), reuseport_array.c,
// net/core/sock_map.c (sock_map_alloc, sock_hash_alloc), net/xdp/xskmap.c, stackmap.c
// (stack_map_alloc) and arena.c (arena_map_alloc).

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

const mmapable: FlagRule = { flag: BpfMapCreateFlag.MMAPABLE, name: 'BPF_F_MMAPABLE' };

/**
 * The flag a type must be created with (LPM tries and local storage: `BPF_F_NO_PREALLOC`; arenas:
 * `BPF_F_MMAPABLE`), if any.
 */
export function requiredFlag(type: number): FlagRule | undefined {
  if (type === MapType.ARENA) return mmapable;
  return type === MapType.LPM_TRIE || localStorage.has(type) ? noPrealloc : undefined;
}

const F = BpfMapCreateFlag;
// The only flags these types' allocation takes (stackmap.c's STACK_CREATE_FLAG_MASK; arena.c),
// the kernel refusing any other with EINVAL. BPF_F_TOKEN_FD is not among them: map_create takes
// it off before the type sees the flags.
const flagMasks = new Map<number, number>([
  [MapType.STACK_TRACE, F.NUMA_NODE | F.RDONLY | F.WRONLY | F.STACK_BUILD_ID],
  [MapType.ARENA, F.MMAPABLE | F.SEGV_ON_FAULT | F.NO_USER_CONV],
]);

/** The `BPF_F_*` flags a type takes when it takes only some (stack traces, arenas); undefined for the others. */
export function flagMask(type: number): number | undefined {
  return flagMasks.get(type);
}

/** The flags in `flags` that `type` does not take (0 when it takes them all, or no rule here says). */
export function refusedFlags(type: number, flags: number): number {
  const mask = flagMasks.get(type);
  return mask === undefined ? 0 : flags & ~mask & ~F.TOKEN_FD;
}

/** The names of the `BPF_F_*` flags set in `flags` (`BPF_F_NO_PREALLOC`), or `0x…` for unknown bits. */
export function flagNames(flags: number): string[] {
  const names: string[] = [];
  let unknown = flags;
  for (const [name, bit] of Object.entries(F))
    if ((flags & bit) !== 0) {
      names.push(`BPF_F_${name}`);
      unknown &= ~bit;
    }
  if (unknown !== 0) names.push(`0x${(unknown >>> 0).toString(16)}`);
  return names;
}

/** A value that is an array of same-size elements, up to a number of them. */
export interface ElementsRule {
  /** Bytes of one element: the value size is a multiple of it. */
  readonly element: number;
  /** The most elements a value holds; undefined when this machine does not say. */
  readonly most: number | undefined;
  /** Where `most` comes from. */
  readonly mostFrom: string;
  /** What the elements are. */
  readonly holds: string;
}

/** `sizeof(struct bpf_stack_build_id)` (linux/bpf.h): s32 status, 20-byte build id, u64 offset or ip. */
const STACK_BUILD_ID_SIZE = 32;

/**
 * The deepest stack a stack trace map value holds: the sysctl `kernel.perf_event_max_stack`, read
 * now (it can change). Undefined where it does not exist: a kernel without perf events, which has
 * no stack trace maps either (the kernel's refusal then says so).
 */
function maxStackDepth(): number | undefined {
  try {
    return Number.parseInt(readFileSync('/proc/sys/kernel/perf_event_max_stack', 'utf8'), 10);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The value of a type whose value is an array of elements (a stack trace map's: instruction
 * pointers, or `struct bpf_stack_build_id` with `BPF_F_STACK_BUILD_ID` in `flags`); undefined for
 * the others.
 */
export function elementsRule(type: number, flags: number): ElementsRule | undefined {
  if (type !== MapType.STACK_TRACE) return undefined;
  const depth = { most: maxStackDepth(), mostFrom: 'sysctl kernel.perf_event_max_stack' };
  if ((flags & F.STACK_BUILD_ID) !== 0)
    return {
      element: STACK_BUILD_ID_SIZE,
      ...depth,
      holds: 'struct bpf_stack_build_id frames (BPF_F_STACK_BUILD_ID)',
    };
  return { element: 8, ...depth, holds: 'u64 instruction pointers' };
}

/** True for the map-in-map types, created from an inner map template (`innerMap`). */
export function needsInnerMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}
