import { BpfMapType, BpfMapUpdateFlag } from '@ts-ebpf/syscall';

/** Every map type, by name (`MapType.HASH`): `BpfMapType` of `@ts-ebpf/uapi`. */
export const MapType = BpfMapType;

/** `BPF_MAP_UPDATE_ELEM` flags. */
export const Update = {
  /** Create or replace. */
  ANY: BpfMapUpdateFlag.ANY,
  /** Create only: fail with EEXIST when the key exists. */
  NOEXIST: BpfMapUpdateFlag.NOEXIST,
  /** Replace only: fail with ENOENT when the key is absent. */
  EXIST: BpfMapUpdateFlag.EXIST,
  /** Take the value's `bpf_spin_lock` while copying (values with a spin lock only). */
  LOCK: BpfMapUpdateFlag.LOCK,
} as const;

/** True for map types whose values are per CPU (uapi's one list). */
export { isPerCpuMapType as isPerCpuType } from '@ts-ebpf/uapi';

const arrayLike = new Set<number>([
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERF_EVENT_ARRAY,
  MapType.CGROUP_ARRAY,
  MapType.ARRAY_OF_MAPS,
  MapType.DEVMAP,
  MapType.CPUMAP,
  MapType.XSKMAP,
  MapType.SOCKMAP,
  MapType.REUSEPORT_SOCKARRAY,
]);

/** True for map types indexed 0..maxEntries-1 whose keys cannot be deleted or re-ordered. */
export function isArrayType(type: number): boolean {
  return arrayLike.has(type);
}

const keyless = new Set<number>([
  MapType.QUEUE,
  MapType.STACK,
  MapType.BLOOM_FILTER,
  MapType.RINGBUF,
  MapType.USER_RINGBUF,
  MapType.ARENA,
]);

/** True for map types created with `keySize` 0 (queue, stack, bloom filter, ring buffers, arena). */
export function isKeyless(type: number): boolean {
  return keyless.has(type);
}

/**
 * The name of a map type as messages print it: `'hash'` for `BPF_MAP_TYPE_HASH`, or
 * `'unknown map type N'` for a number no table here knows.
 */
export function mapTypeName(type: number): string {
  return typeNames.get(type) ?? `unknown map type ${type}`;
}

// Every map's label names its type: looked up, not searched for, on each map created.
const typeNames = new Map<number, string>();
for (const [name, value] of Object.entries(MapType))
  if (typeof value === 'number' && !typeNames.has(value)) typeNames.set(value, name.toLowerCase());

const batchIterable = new Set<number>([
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
]);

/** True for map types whose iteration and clearing use the kernel's batch commands. */
export function iteratesInBatches(type: number): boolean {
  return batchIterable.has(type);
}
