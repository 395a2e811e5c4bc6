import type { MapInfo } from '@ts-ebpf/syscall';
import { type PinMismatch, PinnedMapMismatchError } from './errors.js';
import { mapTypeName } from './map-types.js';

/** What a spec would create, to compare with a map found at its pin path. */
export interface ReuseWanted {
  type: number;
  keySize: number;
  /** Per CPU for per-CPU maps, as the kernel reports it. */
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  mapExtra?: bigint | number;
}

const SAME_FIELDS = ['keySize', 'valueSize', 'maxEntries', 'mapFlags'] as const;

/**
 * Checks that the map found at `path` (its kernel info) is the one `wanted` describes: same
 * type, key and value sizes, max entries, flags and (when given) map_extra.
 * @throws PinnedMapMismatchError listing every difference.
 */
export function assertReusable(path: string, found: MapInfo, wanted: ReuseWanted): void {
  const mismatches: PinMismatch[] = [];
  if (found.type !== wanted.type)
    mismatches.push({ field: 'type', pinned: mapTypeName(found.type), wanted: mapTypeName(wanted.type) });
  for (const field of SAME_FIELDS) {
    if (found[field] !== wanted[field])
      mismatches.push({ field, pinned: found[field], wanted: wanted[field] });
  }
  if (wanted.mapExtra !== undefined && found.mapExtra !== BigInt(wanted.mapExtra))
    mismatches.push({ field: 'mapExtra', pinned: found.mapExtra, wanted: BigInt(wanted.mapExtra) });
  if (mismatches.length > 0) throw new PinnedMapMismatchError(path, mismatches);
}
