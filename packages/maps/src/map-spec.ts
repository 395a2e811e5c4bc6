import type { BpfToken } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';

/** BTF type ids describing a map's key and value. */
export interface MapBtf {
  /** A loaded BTF object's fd (the map takes its own reference). */
  fd: number;
  keyTypeId: number;
  valueTypeId: number;
  /** struct_ops maps: the vmlinux type id of the value. */
  vmlinuxValueTypeId?: number;
}

/** Pin the map on bpffs; with `reuse`, an existing pin at `path` is opened instead of creating a map. */
export interface MapPinning {
  path: string;
  /** Open an existing pin instead of creating (default true). */
  reuse?: boolean;
}

/** The `token` option of every map constructor. */
export interface MapTokenOption {
  /**
   * A BPF token (`BpfToken` from `@ts-ebpf/syscall`, Linux 6.9+): creates the map under it, in a
   * user namespace whose bpffs delegates `map_create` and the map's type (and `btf_load`, for a
   * local-storage or struct_ops map, whose BTF is loaded with it). Without one the kernel checks
   * the process's own capabilities.
   */
  token?: BpfToken;
}

/** What a map is created from. Give a codec or a size for the key and for the value. */
export interface MapSpec<K, V> extends MapTokenOption {
  /** `MapType.*`. */
  type: number;
  /** Key codec (K is inferred from it). */
  key?: Codec<K>;
  /** Key size in bytes when there is no codec (K is then `Uint8Array`). */
  keySize?: number;
  /** Value codec; per-CPU types need a `perCpu(...)` codec. */
  value?: Codec<V>;
  /** Value size when there is no codec (V is then `Uint8Array`). */
  valueSize?: number;
  maxEntries: number;
  /** `BPF_F_*` map flags. */
  flags?: number;
  /** Map name (at most 15 characters of `[A-Za-z0-9_.]`). */
  name?: string;
  /** NUMA node (sets `BPF_F_NUMA_NODE`). */
  numaNode?: number;
  /** The inner map template of a map-in-map type. */
  innerMap?: { readonly fd: number };
  /** `map_extra` (bloom filter: number of hash functions; arena: user address). */
  mapExtra?: bigint | number;
  /**
   * BTF of the key and value (spin locks, timers, kptrs; struct_ops: the vmlinux value type).
   * Local-storage maps created without it get a generated description of their `int` key and
   * value bytes (the kernel creates none without).
   */
  btf?: MapBtf;
  pinning?: MapPinning;
}
