import { reuseMismatches } from '@ts-ebpf/maps';
import { BpfArgumentError, BpfMapType, mapInfo, possibleCpuCount } from '@ts-ebpf/syscall';
import { mapTypeName } from '@ts-ebpf/uapi';
import type { BtfMapSpec } from './btf-maps.js';
import type { CollectionSpec, LegacyMapSpec } from './collection-spec.js';
import { MapReplacementError, NameNotFoundError, SpecEditError } from './errors.js';
import { checkMapDefinition, checkMapFd } from './map-edit.js';

/** Maps to use instead of creating the object's maps of these names (`options.mapReplacements`). */
export type MapReplacements = Readonly<Record<string, { readonly fd: number }>>;

/** Property names of the maps package's comparison, as a map definition names them. */
const PROPERTY: Readonly<Record<string, string>> = { mapFlags: 'flags' };

/**
 * The maps a load takes instead of creating them, by name: those of `options.mapReplacements`
 * and those given by `spec.adjust.map(name).reuse()`. Each is checked before anything is created:
 * it names a map of the object (not a data section's), is an open map, is given once, and is
 * the map the definition (with its edits) describes, compared as libbpf compares a map it reuses.
 * @throws NameNotFoundError for a name that is no map of the object
 * @throws SpecEditError for a data section's map, a map replaced twice, one pinned by path or
 *   not created, or a replacement that is no open map
 * @throws MapReplacementError listing every property in which a replacement differs
 */
export function resolveMapReplacements(
  spec: CollectionSpec,
  btfMaps: ReadonlyMap<string, BtfMapSpec>,
  given: MapReplacements | undefined,
): Map<string, { readonly fd: number }> {
  const replacements = new Map<string, { readonly fd: number }>();
  const definitions = new Map<string, BtfMapSpec | LegacyMapSpec>([...btfMaps, ...spec.legacyMaps]);
  for (const [name, def] of definitions) if (def.reuse) replacements.set(name, def.reuse);
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given)))
    throw new BpfArgumentError(
      'mapReplacements',
      `expected an object of map name → map, got ${String(given)}`,
    );
  for (const [name, map] of Object.entries(given ?? {})) {
    const def = definitions.get(name);
    if (!def && spec.dataSections.has(name))
      throw new SpecEditError(
        'map',
        name,
        'mapReplacements',
        "names a data section's map, which holds the object's global variables: only named maps can be replaced",
      );
    if (!def)
      throw new NameNotFoundError(
        'map',
        name,
        [...definitions.keys()],
        'the object (options.mapReplacements)',
      );
    if (def.reuse)
      throw new SpecEditError(
        'map',
        name,
        'mapReplacements',
        'names a map given a replacement already, by spec.adjust.map(name).reuse(): give one',
      );
    // The checks reuse() makes: an open map, and no pin path or autocreate that conflicts.
    checkMapFd(name, map, 'mapReplacements');
    checkMapDefinition({ ...def, reuse: map }, undefined);
    replacements.set(name, map);
  }
  for (const [name, map] of replacements) checkCompatible(name, definitions.get(name)!, map.fd);
  return replacements;
}

/** @throws MapReplacementError when the map behind `fd` is not the one `def` describes */
function checkCompatible(name: string, def: BtfMapSpec | LegacyMapSpec, fd: number): void {
  const info = mapInfo(fd);
  const mismatches = reuseMismatches(info, {
    type: def.type,
    keySize: def.keySize,
    valueSize: def.valueSize,
    // Created with one slot per possible CPU, as the loader creates the object's own.
    maxEntries:
      def.type === BpfMapType.PERF_EVENT_ARRAY && def.maxEntries === 0 ? possibleCpuCount() : def.maxEntries,
    mapFlags: def.flags,
    mapExtra: 'mapExtra' in def ? def.mapExtra : 0n,
  });
  if (mismatches.length === 0) return;
  const label = `${mapTypeName(info.type).toLowerCase()} map${info.name ? ` '${info.name}'` : ''} (id ${info.id})`;
  throw new MapReplacementError(
    name,
    label,
    mismatches.map((m) => ({
      property: PROPERTY[m.field] ?? m.field,
      replacement: m.pinned,
      definition: m.wanted,
    })),
  );
}
