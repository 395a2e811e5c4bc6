import {
  type Btf,
  type BtfMember,
  type BtfType,
  type CompositeType,
  resolveType,
  sizeOf,
} from '@ts-ebpf/btf';
import { type ElfFile, SectionType } from '@ts-ebpf/elf-reader';

import { ElfError } from './errors.js';

/** libbpf's `pinning` values. */
export const Pinning = { NONE: 0, BY_NAME: 1 } as const;

/**
 * How a map is created beyond its definition in the object, as `spec.adjust` sets it
 * (libbpf's `bpf_map__set_pin_path`, `bpf_map__set_inner_map_fd`); absent by default.
 */
export interface MapLoadSettings {
  /** Pin the map at this bpffs path, reusing a map already pinned there. Wins over `pinning`. */
  pinPath?: string;
  /** A map-in-map's inner-map template: this map instead of the object's `__array(values, …)` one. */
  innerMapTemplate?: { readonly fd: number };
  /** Create the map without BTF key/value types (its key or value size no longer fits them). */
  withoutBtfTypes?: boolean;
  /** An existing map to use instead of creating one (`bpf_map__reuse_fd`); the caller keeps it. */
  reuse?: { readonly fd: number };
  /** false: the map is not created, and no loaded program may use it (`bpf_map__set_autocreate`). */
  autocreate?: boolean;
}

/** A map defined in the `.maps` section with libbpf's BTF conventions (`__uint`, `__type`, `__array`). */
export interface BtfMapSpec extends MapLoadSettings {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: bigint;
  /** `Pinning.*`. */
  pinning: number;
  /** BTF type ids of the key and value in the object's BTF (0 when given only by size). */
  keyTypeId: number;
  valueTypeId: number;
  /** The inner map template of a map-in-map (`__array(values, struct { … })`). */
  innerMap: BtfMapSpec | undefined;
  /** Initial contents of a map-in-map or prog_array: slot → symbol name (a map or a program). */
  initialValues: Map<number, string>;
}

/** How errors name member `member` of map `map`'s definition (made only for an error). */
function memberName(map: string, member: BtfMember): string {
  return `map ${map}.${member.name}`;
}

function decodeUint(btf: Btf, map: string, member: BtfMember): number {
  const ptr = resolveType(btf, member.type);
  if (ptr.kind !== 'ptr')
    throw new ElfError(
      `${memberName(map, member)}: expected __uint() (a pointer to an array), got ${ptr.kind}`,
    );
  const arr = resolveType(btf, ptr.type);
  if (arr.kind !== 'array')
    throw new ElfError(
      `${memberName(map, member)}: expected __uint() (a pointer to an array), got pointer to ${arr.kind}`,
    );
  return arr.nelems;
}

function decodeType(btf: Btf, map: string, member: BtfMember): number {
  const ptr = resolveType(btf, member.type);
  if (ptr.kind !== 'ptr')
    throw new ElfError(`${memberName(map, member)}: expected __type() (a pointer), got ${ptr.kind}`);
  return ptr.type;
}

/** `__uint(name, n)` members and the spec field each sets. */
const UINT_FIELDS = new Map<
  string,
  'type' | 'maxEntries' | 'flags' | 'numaNode' | 'pinning' | 'keySize' | 'valueSize'
>([
  ['type', 'type'],
  ['max_entries', 'maxEntries'],
  ['map_flags', 'flags'],
  ['numa_node', 'numaNode'],
  ['pinning', 'pinning'],
  ['key_size', 'keySize'],
  ['value_size', 'valueSize'],
]);

/** A map definition with every field at its default (what a definition leaves unsaid). */
export function defaultMapDefinition(name: string): BtfMapSpec {
  return {
    name,
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    numaNode: 0,
    mapExtra: 0n,
    pinning: Pinning.NONE,
    keyTypeId: 0,
    valueTypeId: 0,
    innerMap: undefined,
    initialValues: new Map(),
  };
}

/** Parses one map definition struct (outer or inner). */
export function parseDef(btf: Btf, name: string, def: CompositeType): BtfMapSpec {
  const spec = defaultMapDefinition(name);
  for (const m of def.members) {
    const uintField = UINT_FIELDS.get(m.name);
    if (uintField) {
      spec[uintField] = decodeUint(btf, name, m);
      continue;
    }
    switch (m.name) {
      case 'map_extra':
        spec.mapExtra = BigInt(decodeUint(btf, name, m));
        break;
      case 'key':
        spec.keyTypeId = decodeType(btf, name, m);
        spec.keySize = sizeOf(btf, spec.keyTypeId);
        break;
      case 'value':
        spec.valueTypeId = decodeType(btf, name, m);
        spec.valueSize = sizeOf(btf, spec.valueTypeId);
        break;
      case 'values': {
        const arr = resolveType(btf, m.type);
        if (arr.kind !== 'array') throw new ElfError(`${memberName(name, m)}: expected __array(values, …)`);
        const elem = resolveType(btf, arr.type);
        const target: BtfType = elem.kind === 'ptr' ? resolveType(btf, elem.type) : elem;
        if (target.kind === 'struct') spec.innerMap = parseDef(btf, `${name}.inner`, target);
        else if (target.kind !== 'func_proto')
          throw new ElfError(`${memberName(name, m)}: values must hold maps or programs`);
        spec.valueSize ||= 4;
        break;
      }
      default:
        throw new ElfError(`map ${name}: unknown field '${m.name}'`);
    }
  }
  return spec;
}

/**
 * Reads every map of the `.maps` section from the object's BTF, with the
 * initial contents of map-in-map and prog_array maps from `.rel.maps`.
 */
export function parseBtfMaps(elf: ElfFile, btf: Btf): Map<string, BtfMapSpec> {
  const out = new Map<string, BtfMapSpec>();
  const section = elf.section('.maps');
  if (!section) return out;
  const datasec = btf.find('.maps', 'datasec');
  if (!datasec) throw new ElfError('the object has a .maps section but no .maps DATASEC in its BTF');
  // Where each map-in-map / prog_array's `values` array starts inside .maps. clang leaves
  // DATASEC offsets at 0 in objects (libbpf fills them in), so symbols give the offsets.
  const symbolOffset = new Map<string, number>();
  for (const sym of elf.symbols)
    if (sym.section === section.index && sym.name) symbolOffset.set(sym.name, Number(sym.value));
  const valuesAt = new Map<BtfMapSpec, number>();
  for (const v of datasec.vars) {
    const variable = btf.type(v.type);
    if (variable.kind !== 'var') throw new ElfError(`.maps DATASEC entry ${v.type} is not a variable`);
    const def = resolveType(btf, variable.type);
    if (def.kind !== 'struct') throw new ElfError(`map ${variable.name} is not defined by a struct`);
    const spec = parseDef(btf, variable.name, def);
    out.set(variable.name, spec);
    const values = def.members.find((m) => m.name === 'values');
    const offset = symbolOffset.get(variable.name);
    if (offset === undefined) throw new ElfError(`map ${variable.name} has no symbol in .maps`);
    if (values) valuesAt.set(spec, offset + values.bitOffset / 8);
  }
  const rel = elf.sections.find(
    (s) => (s.type === SectionType.REL || s.type === SectionType.RELA) && s.info === section.index,
  );
  for (const r of rel ? elf.relocations(rel) : []) {
    const at = Number(r.offset);
    let owner: BtfMapSpec | undefined;
    for (const [spec, start] of valuesAt) {
      if (at >= start && at < start + 8 * Math.max(spec.maxEntries, 1)) owner = spec;
    }
    if (!owner) throw new ElfError(`.maps relocation at ${at} is not inside any map's values`);
    owner.initialValues.set((at - valuesAt.get(owner)!) / 8, elf.symbols[r.symbol]!.name);
  }
  return out;
}
