import { type Btf, resolveType } from '@ts-ebpf/btf';
import { type CollectionSpec, KconfigError, kconfigValueType, parseBtfMaps, SymbolBind } from '@ts-ebpf/elf';
import { isPerCpuType, MapType, mapTypeName } from '@ts-ebpf/maps';
import { GenError, UnsupportedTypeError } from './errors.js';
import { byteCount } from './format.js';
import { pascalCase } from './names.js';
import type { TypedValue, TypeRegistry } from './types.js';

/** One map of the object as the generated module types it. */
export interface MapBinding {
  /** The map's name in the object. */
  name: string;
  /** Its type's name (`hash`, `percpu_array` …). */
  typeName: string;
  /**
   * Key and value, or undefined for a map read only as raw bytes (ring buffers, perf event
   * arrays). Maps without keys (queue, stack, bloom filter) have no key, and a `wrapper`.
   */
  typed:
    | { key: TypedValue | undefined; value: TypedValue; perCpu: boolean; wrapper?: KeylessWrapper }
    | undefined;
  /** A note for the comment (why raw, what a value means). */
  note?: string;
}

/** One global variable of a data section. */
export interface VariableBinding {
  name: string;
  section: string;
  /** `.rodata*`: a constant settable before load, read-only after. */
  readOnly: boolean;
  offset: number;
  typed: TypedValue;
}

/** One struct_ops map of the object (a variable of a `.struct_ops*` section). */
export interface StructOpsBinding {
  /** The variable's name: the map's name. */
  name: string;
  /** Its section (`.struct_ops`, `.struct_ops.link` …). */
  section: string;
  /** The ops struct as C spells it (`struct tcp_congestion_ops`). */
  c: string;
}

/** One `.kconfig` extern of the object: read-only, the value the load gave it. */
export interface KconfigBinding {
  name: string;
  /** Its type as C spells it. */
  c: string;
  /** The JavaScript type `Collection.kconfig` gives its value (elf's `kconfigValueType`). */
  ts: 'boolean' | 'number' | 'bigint' | 'string';
  /** Declared `__weak`: zero when the kernel's config does not set it. */
  weak: boolean;
}

/** What the generated module exposes of an object. */
export interface ObjectModel {
  maps: MapBinding[];
  structOps: StructOpsBinding[];
  programs: { name: string; section: string }[];
  variables: VariableBinding[];
  kconfig: KconfigBinding[];
}

/** Map types whose entries are not key/value records a codec describes. */
const RAW_TYPES = new Set<number>([
  MapType.RINGBUF,
  MapType.USER_RINGBUF,
  MapType.PERF_EVENT_ARRAY,
  MapType.ARENA,
]);

/** The `@ts-ebpf/maps` class a map without keys is used through. */
export type KeylessWrapper = 'QueueMap' | 'BloomFilter';

/** Map types without keys, and the class that pushes, pops or tests their values. */
const KEYLESS: ReadonlyMap<number, KeylessWrapper> = new Map([
  [MapType.QUEUE, 'QueueMap'],
  [MapType.STACK, 'QueueMap'],
  [MapType.BLOOM_FILTER, 'BloomFilter'],
]);

/** Map types whose values are other maps or programs: written as fds, read as ids. */
const FD_VALUES = new Set<number>([MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS, MapType.PROG_ARRAY]);

/**
 * Refuses a map whose key or value type is only declared (`__type(value, struct opaque)` with
 * `struct opaque;` and no definition), naming the type and the map: the map definitions cannot
 * be read without the type's size.
 * @throws UnsupportedTypeError for the first such key or value
 */
function refuseDeclaredOnly(btf: Btf, registry: TypeRegistry): void {
  const datasec = btf.find('.maps', 'datasec');
  for (const v of datasec?.vars ?? []) {
    const variable = btf.type(v.type);
    if (variable.kind !== 'var') continue;
    const def = resolveType(btf, variable.type);
    if (def.kind !== 'struct') continue;
    for (const m of def.members) {
      if (m.name !== 'key' && m.name !== 'value') continue;
      // `__type(value, T)` declares `typeof(T) *value`.
      const pointer = resolveType(btf, m.type);
      if (pointer.kind !== 'ptr') continue;
      if (resolveType(btf, pointer.type).kind === 'fwd') {
        throw new UnsupportedTypeError(
          registry.cName(pointer.type),
          `map ${variable.name} ${m.name}`,
          'it is only declared (a forward declaration): its layout is not in the BTF',
        );
      }
    }
  }
}

function sized(
  registry: TypeRegistry,
  typeId: number,
  size: number,
  where: string,
  hint: string,
): TypedValue {
  if (typeId !== 0) return registry.typeOf(typeId, where, hint);
  registry.use('bytes');
  return { ts: 'Uint8Array', codec: `bytes(${size})`, c: byteCount(size), size };
}

/**
 * Reads what the module will expose: the BTF-defined maps (with key and value types), the
 * programs, and the global variables of every data section (typed from the section's BTF).
 * @throws GenError for two variables of one name; UnsupportedTypeError for a type without layout
 */
export function objectModel(spec: CollectionSpec, btf: Btf, registry: TypeRegistry): ObjectModel {
  refuseDeclaredOnly(btf, registry);
  const maps: MapBinding[] = [];
  for (const def of parseBtfMaps(spec.elf, btf).values()) {
    const typeName = mapTypeName(def.type);
    if (RAW_TYPES.has(def.type)) {
      maps.push({ name: def.name, typeName, typed: undefined, note: 'records are raw bytes' });
      continue;
    }
    const hint = pascalCase(def.name);
    const wrapper = KEYLESS.get(def.type);
    if (wrapper) {
      registry.use(wrapper);
      const value = sized(registry, def.valueTypeId, def.valueSize, `map ${def.name} value`, `${hint}Value`);
      maps.push({ name: def.name, typeName, typed: { key: undefined, value, perCpu: false, wrapper } });
      continue;
    }
    const key = sized(registry, def.keyTypeId, def.keySize, `map ${def.name} key`, `${hint}Key`);
    let value: TypedValue;
    let note: string | undefined;
    if (FD_VALUES.has(def.type)) {
      registry.use('u32');
      value = { ts: 'number', codec: 'u32', c: 'u32', size: 4 };
      note = `values are ${def.type === MapType.PROG_ARRAY ? 'program' : 'map'} fds when written, ids when read`;
    } else {
      value = sized(registry, def.valueTypeId, def.valueSize, `map ${def.name} value`, `${hint}Value`);
    }
    const perCpu = isPerCpuType(def.type);
    if (perCpu) registry.use('perCpu');
    maps.push({ name: def.name, typeName, typed: { key, value, perCpu }, ...(note ? { note } : {}) });
  }
  for (const legacy of spec.legacyMaps.values()) {
    maps.push({
      name: legacy.name,
      typeName: mapTypeName(legacy.type),
      typed: undefined,
      note: 'a legacy map: no BTF types',
    });
  }

  const structOps = [...spec.structOps.values()].map((m) => ({
    name: m.name,
    section: m.section,
    c: structOpsType(btf, registry, m.section, m.name),
  }));

  const programs = [...spec.programs.values()].map((p) => ({ name: p.name, section: p.section }));

  const variables: VariableBinding[] = [];
  const seen = new Map<string, string>();
  for (const section of spec.dataSections.values()) {
    const datasec = btf.find(section.name, 'datasec');
    // A variable's BTF type by its name (clang may leave DATASEC offsets for libbpf to fill).
    const byName = new Map<string, number>();
    for (const v of datasec?.vars ?? []) {
      const variable = btf.type(v.type);
      if (variable.kind === 'var') byName.set(variable.name, variable.type);
    }
    const symbols = [...section.variables].sort((a, b) => a[1].offset - b[1].offset);
    for (const [name, { offset, size }] of symbols) {
      const other = seen.get(name);
      if (other !== undefined)
        throw new GenError(
          `variable ${name} is defined in both ${other} and ${section.name}: the collection finds only the first`,
        );
      seen.set(name, section.name);
      const typeId = byName.get(name);
      const where = `variable ${name} (${section.name})`;
      const typed =
        typeId === undefined
          ? {
              ...sized(registry, 0, size, where, ''),
              note: `raw bytes: ${section.name} has no BTF variable of this name`,
            }
          : registry.typeOf(typeId, where, pascalCase(name));
      variables.push({ name, section: section.name, readOnly: section.readOnly, offset, typed });
    }
  }
  return { maps, structOps, programs, variables, kconfig: kconfigExterns(spec, btf, registry) };
}

/**
 * The `.kconfig` externs of the object's BTF, in declaration order, typed as `Collection.kconfig`
 * gives their values.
 * @throws UnsupportedTypeError for an extern of a type libbpf does not fill (a struct …)
 */
function kconfigExterns(spec: CollectionSpec, btf: Btf, registry: TypeRegistry): KconfigBinding[] {
  const weak = new Set(spec.elf.symbols.filter((s) => s.bind === SymbolBind.WEAK).map((s) => s.name));
  const out: KconfigBinding[] = [];
  for (const v of btf.find('.kconfig', 'datasec')?.vars ?? []) {
    const variable = btf.type(v.type);
    if (variable.kind !== 'var') continue;
    const c = registry.cName(variable.type);
    try {
      const ts = kconfigValueType(btf, variable.type, variable.name);
      out.push({ name: variable.name, c, ts, weak: weak.has(variable.name) });
    } catch (e) {
      if (!(e instanceof KconfigError)) throw e;
      const reason =
        'libbpf fills a .kconfig extern that is a bool, an enum libbpf_tristate, an integer of 1, 2, 4 or 8 bytes or a char array';
      throw new UnsupportedTypeError(c, `kconfig extern ${variable.name}`, reason, { cause: e });
    }
  }
  return out;
}

/** The C type of struct_ops variable `name` of `section`, from the section's BTF. */
function structOpsType(btf: Btf, registry: TypeRegistry, section: string, name: string): string {
  for (const v of btf.find(section, 'datasec')?.vars ?? []) {
    const variable = btf.type(v.type);
    if (variable.kind === 'var' && variable.name === name) return registry.cName(variable.type);
  }
  throw new GenError(`struct_ops map ${name} has no BTF variable in ${section}: its ops struct is unknown`);
}
