import { BpfMapType } from './generated/enums.generated.js';

/**
 * Map types whose values are per CPU: a lookup or update moves one value slot per possible CPU,
 * each slot the value size rounded up to 8 bytes.
 */
const PER_CPU_MAP_TYPES: ReadonlySet<number> = new Set<number>([
  BpfMapType.PERCPU_HASH,
  BpfMapType.PERCPU_ARRAY,
  BpfMapType.LRU_PERCPU_HASH,
  BpfMapType.PERCPU_CGROUP_STORAGE,
]);

/** True for map types whose values are per CPU (one slot per possible CPU in user space). */
export function isPerCpuMapType(type: number): boolean {
  return PER_CPU_MAP_TYPES.has(type);
}
