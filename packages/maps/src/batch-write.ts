import {
  BpfArgumentError,
  mapDeleteBatch,
  mapDeleteElem,
  mapUpdateBatch,
  mapUpdateElem,
} from '@ts-ebpf/syscall';
import { batchRefused, encodeKeys, encodeValues, type Op, refuse, scratch } from './batch.js';
import type { BpfMap } from './map.js';

// BPF_MAP_UPDATE_BATCH and BPF_MAP_DELETE_BATCH; single updates and deletes where the kernel
// refuses them for the map type.

// The kernel's batch command, or, when it refuses batches for this map type, single operations.
function withFallback<K, V>(map: BpfMap<K, V>, op: Op, kernel: () => number, single: () => number): number {
  const m = map as BpfMap<unknown, unknown>;
  if (!batchRefused(m, op)) {
    try {
      return kernel();
    } catch (e) {
      if (!refuse(m, op, e, true)) throw e;
    }
  }
  return single();
}

/** BPF_MAP_UPDATE_BATCH: writes `keys[i] → values[i]`; returns how many were written. */
export function setBatch<K, V>(
  map: BpfMap<K, V>,
  keys: readonly K[],
  values: readonly V[],
  flags = 0,
): number {
  if (keys.length !== values.length) {
    throw new BpfArgumentError(
      'values',
      `setBatch on ${map.label()} was given ${keys.length} keys but ${values.length} values`,
    );
  }
  if (keys.length === 0) return 0;
  const s = scratch(map as BpfMap<unknown, unknown>, keys.length);
  encodeKeys(map, keys, s.keyView);
  encodeValues(map, values, s.valueView);
  const ks = map.keyCodec.size;
  const vs = map.valueCodec.size;
  return withFallback(
    map,
    'update',
    () =>
      mapUpdateBatch(map.fd, { keys: s.keys, values: s.values, count: keys.length, elemFlags: flags }).count,
    () => {
      for (let i = 0; i < keys.length; i++) {
        const k = s.keys.subarray(i * ks, (i + 1) * ks);
        mapUpdateElem(map.fd, k, s.values.subarray(i * vs, (i + 1) * vs), flags);
      }
      return keys.length;
    },
  );
}

/**
 * BPF_MAP_DELETE_BATCH: deletes `keys` in order and returns how many were deleted. Like the
 * kernel, it stops at the first key the map does not hold: the keys before it are deleted, it
 * and the keys after it are not tried. The single-delete fallback stops there too.
 */
export function deleteBatch<K, V>(map: BpfMap<K, V>, keys: readonly K[]): number {
  if (keys.length === 0) return 0;
  const s = scratch(map as BpfMap<unknown, unknown>, keys.length);
  encodeKeys(map, keys, s.keyView);
  const ks = map.keyCodec.size;
  return withFallback(
    map,
    'delete',
    () => mapDeleteBatch(map.fd, { keys: s.keys, count: keys.length }).count,
    () => {
      let n = 0;
      while (n < keys.length && mapDeleteElem(map.fd, s.keys.subarray(n * ks, (n + 1) * ks))) n++;
      return n;
    },
  );
}
