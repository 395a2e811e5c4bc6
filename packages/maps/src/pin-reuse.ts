import { BpfMapCreateFlag, type MapInfo } from '@ts-ebpf/syscall';
import { type PinMismatch, PinnedMapMismatchError } from './errors.js';
import { MapType, mapTypeName } from './map-types.js';

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

const SAME_FIELDS = ['keySize', 'valueSize', 'maxEntries'] as const;

// Flags the kernel does not keep on the map: read/write-only belong to the fd that created it.
const FD_FLAGS = BpfMapCreateFlag.RDONLY | BpfMapCreateFlag.WRONLY;

/** The flags the kernel reports for a map of `type` created with `flags`. */
function reportedFlags(type: number, flags: number): number {
  const kept = flags & ~FD_FLAGS;
  // devmaps are always read-only to programs: the kernel adds the flag.
  return type === MapType.DEVMAP || type === MapType.DEVMAP_HASH ? kept | BpfMapCreateFlag.RDONLY_PROG : kept;
}

/**
 * How a map (its kernel info) differs from the one `wanted` describes: type, key and value
 * sizes, max entries, flags (as the kernel keeps them) and map_extra, the fields libbpf compares
 * before reusing a map. Empty when it is that map. `pinned` of each difference is the map's value.
 */
export function reuseMismatches(found: MapInfo, wanted: ReuseWanted): PinMismatch[] {
  const mismatches: PinMismatch[] = [];
  if (found.type !== wanted.type)
    mismatches.push({ field: 'type', pinned: mapTypeName(found.type), wanted: mapTypeName(wanted.type) });
  for (const field of SAME_FIELDS) {
    if (found[field] !== wanted[field])
      mismatches.push({ field, pinned: found[field], wanted: wanted[field] });
  }
  const flags = reportedFlags(wanted.type, wanted.mapFlags);
  if (found.mapFlags !== flags) mismatches.push({ field: 'mapFlags', pinned: found.mapFlags, wanted: flags });
  const extra = BigInt(wanted.mapExtra ?? 0);
  if (found.mapExtra !== extra) mismatches.push({ field: 'mapExtra', pinned: found.mapExtra, wanted: extra });
  return mismatches;
}

/**
 * Checks that the map found at `path` (its kernel info) is the one `wanted` describes
 * ({@link reuseMismatches}).
 * @throws PinnedMapMismatchError listing every difference.
 */
export function assertReusable(path: string, found: MapInfo, wanted: ReuseWanted): void {
  const mismatches = reuseMismatches(found, wanted);
  if (mismatches.length > 0) throw new PinnedMapMismatchError(path, mismatches);
}
