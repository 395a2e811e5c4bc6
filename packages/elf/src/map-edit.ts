import { type Btf, resolveType, sizeOf } from '@ts-ebpf/btf';
import { checkMapSpec, isArrayType, isKeyless, MapSpecError } from '@ts-ebpf/maps';
import { BpfMapCreateFlag, BpfMapType, describeFdTarget, fdTarget, onlineNumaNodes } from '@ts-ebpf/syscall';
import { mapTypeName, UnknownNameError } from '@ts-ebpf/uapi';
import type { BtfMapSpec } from './btf-maps.js';
import type { DataSectionSpec, LegacyMapSpec } from './collection-spec.js';
import { NEEDS_BTF } from './create-maps.js';
import { SpecEditError } from './errors.js';

/** Options of {@link MapEdit.setValueSize} and {@link MapEdit.setKeySize}. */
export interface ValueSizeOptions {
  /**
   * Create the map without its BTF key/value types, which the new size no longer fits
   * (what libbpf does silently: `bpf_map__set_key_size` drops them, and a value size the
   * kernel refuses with them is retried without). Without this option such a size is a
   * {@link SpecEditError}. Map types that exist only with BTF refuse it.
   */
  withoutBtfTypes?: boolean;
}

/** A map definition an edit changes: a BTF-defined map, or a legacy `maps` one. */
type Definition = BtfMapSpec | LegacyMapSpec;

const MAP_IN_MAP: ReadonlySet<number> = new Set([BpfMapType.ARRAY_OF_MAPS, BpfMapType.HASH_OF_MAPS]);
/** Map types whose slots the object may fill at load (`__array(values, …)` initialisers). */
const HOLDS_INITIAL_VALUES: ReadonlySet<number> = new Set([...MAP_IN_MAP, BpfMapType.PROG_ARRAY]);
const U32_MAX = 0xffff_ffff;
const U64_MAX = 2n ** 64n - 1n;
/** The map types whose `map_extra` means something (kernel/bpf/syscall.c refuses it on the others). */
const TAKES_MAP_EXTRA: ReadonlySet<number> = new Set([BpfMapType.BLOOM_FILTER, BpfMapType.ARENA]);

function isBtfDefined(def: Definition): def is BtfMapSpec {
  return 'keyTypeId' in def;
}

/** `n` bytes as messages say it, with the BTF type's name when it has one. */
function btfTypeLabel(btf: Btf, id: number): string {
  const t = resolveType(btf, id, { typedefs: false, qualifiers: true });
  const name =
    'name' in t && t.name
      ? `${t.kind === 'struct' || t.kind === 'union' ? `${t.kind} ` : ''}${t.name}`
      : t.kind;
  return `'${name}' (${sizeOf(btf, id)} bytes)`;
}

/**
 * Checks a whole map definition (after an edit, or at load), throwing the first conflict as a
 * {@link SpecEditError} that names the map and the setting.
 */
export function checkMapDefinition(def: Definition, btf: Btf | undefined): void {
  const fail = (setting: string, why: string, cause?: unknown): never => {
    throw new SpecEditError('map', def.name, setting, why, cause === undefined ? undefined : { cause });
  };
  for (const setting of ['type', 'keySize', 'valueSize', 'maxEntries', 'flags'] as const) {
    const v = def[setting];
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX)
      fail(setting, `is ${v}: expected an integer 0..${U32_MAX}`);
  }
  try {
    mapTypeName(def.type);
  } catch (e) {
    if (e instanceof UnknownNameError) fail('type', `is ${def.type}, which is no map type`, e);
    throw e;
  }
  const type = mapTypeName(def.type).toLowerCase();
  if (isBtfDefined(def) && btf && !def.withoutBtfTypes) {
    if (def.keyTypeId !== 0 && sizeOf(btf, def.keyTypeId) !== def.keySize)
      fail(
        'keySize',
        `is ${def.keySize}, which does not fit its BTF key type ${btfTypeLabel(btf, def.keyTypeId)}: ` +
          'set it with { withoutBtfTypes: true } to create the map without BTF types',
      );
    if (def.valueTypeId !== 0 && sizeOf(btf, def.valueTypeId) !== def.valueSize)
      fail(
        'valueSize',
        `is ${def.valueSize}, which does not fit its BTF value type ${btfTypeLabel(btf, def.valueTypeId)}: ` +
          'set it with { withoutBtfTypes: true } to create the map without BTF types',
      );
  }
  if (def.withoutBtfTypes && NEEDS_BTF.has(def.type))
    fail('valueSize', `cannot drop the BTF types of a ${type} map: the kernel creates it only with them`);
  if (isArrayType(def.type) && def.keySize !== 4)
    fail('keySize', `is ${def.keySize}, but a ${type} map is indexed by a 4-byte key`);
  if (isKeyless(def.type) && def.keySize !== 0)
    fail('keySize', `is ${def.keySize}, but a ${type} map has no keys (key size 0)`);
  const mapInMap = MAP_IN_MAP.has(def.type);
  const hasInner = def.innerMapTemplate !== undefined || (isBtfDefined(def) && def.innerMap !== undefined);
  if (mapInMap && !hasInner)
    fail('type', `is ${type}, which needs an inner map: the object defines none; give one with setInnerMap`);
  if (!mapInMap && def.innerMapTemplate !== undefined)
    fail('innerMap', `is set, but a ${type} map holds no maps (only array_of_maps and hash_of_maps do)`);
  if (!mapInMap && isBtfDefined(def) && def.innerMap !== undefined)
    fail('type', `is ${type}, but the object defines the map with an inner map (__array(values, struct …))`);
  if (isBtfDefined(def) && def.initialValues.size > 0) {
    if (!HOLDS_INITIAL_VALUES.has(def.type))
      fail(
        'type',
        `is ${type}, but the object fills slots of the map at load (only prog_array and maps of maps hold them)`,
      );
    const last = Math.max(...def.initialValues.keys());
    if (last >= def.maxEntries && def.maxEntries !== 0)
      fail('maxEntries', `is ${def.maxEntries}, but the object fills slot ${last} of the map at load`);
  }
  checkLoadSettings(def, type, fail);
  // A perf_event_array with max_entries 0 gets one slot per possible CPU at creation.
  if (def.type === BpfMapType.PERF_EVENT_ARRAY && def.maxEntries === 0) return;
  const label = `${type} map '${def.name}'`;
  try {
    checkMapSpec(label, { ...def, mapExtra: 'mapExtra' in def ? def.mapExtra : undefined });
  } catch (e) {
    // The maps package's own check: its message is '<label>: <field> <why>'.
    if (e instanceof MapSpecError) fail(e.field, e.message.slice(`${label}: ${e.field} `.length), e);
    throw e;
  }
}

/**
 * The settings of how a map is made (NUMA node, map_extra, reuse, autocreate, pinning) against
 * its type and each other.
 */
function checkLoadSettings(
  def: Definition,
  type: string,
  fail: (setting: string, why: string) => never,
): void {
  const extra = 'mapExtra' in def ? def.mapExtra : 0n;
  if (typeof extra !== 'bigint' || extra < 0n || extra > U64_MAX)
    fail('mapExtra', `is ${String(extra)}: expected an integer 0..2^64-1`);
  if (extra !== 0n && !TAKES_MAP_EXTRA.has(def.type))
    fail('mapExtra', `is ${extra}, but a ${type} map takes none (only bloom_filter and arena maps do)`);
  if ('numaNode' in def && (def.flags & BpfMapCreateFlag.NUMA_NODE) !== 0) {
    const nodes = onlineNumaNodes();
    if (!nodes.includes(def.numaNode))
      fail('numaNode', `is ${def.numaNode}, which is no online NUMA node (online: ${nodes.join(', ')})`);
  }
  // A replacement comes from reuse() or options.mapReplacements: the message names both.
  if (def.reuse && def.pinPath !== undefined)
    fail(
      'reuse',
      `(a replacement map, by reuse() or options.mapReplacements) is given, and pinPath is set (${def.pinPath}): ` +
        'the map is either the one given or the one pinned there',
    );
  if (def.reuse && def.autocreate === false)
    fail(
      'autocreate',
      'is false, but the map is given a replacement (by reuse() or options.mapReplacements): use one or the other',
    );
}

/**
 * The checks of a map given for `setting` (an inner-map template, a replacement), before the
 * kernel is asked: an object with the fd of an open map.
 * @throws SpecEditError naming map `name` and `setting`
 */
export function checkMapFd(name: string, map: { readonly fd: number }, setting: string): void {
  const fd = (map as { fd?: unknown })?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0)
    throw new SpecEditError('map', name, setting, `expected a map (an object with an fd), got ${String(fd)}`);
  const target = fdTarget(fd);
  if (target !== 'anon_inode:bpf-map')
    throw new SpecEditError(
      'map',
      name,
      setting,
      `fd ${fd} is ${target === undefined ? 'not open' : `a ${describeFdTarget(target)}`}, not a map`,
    );
}

/** Resizes a data section's last variable, an array, so that the section is `size` bytes. */
function resizedDataSection(section: DataSectionSpec, btf: Btf | undefined, size: number): DataSectionSpec {
  const fail = (why: string): never => {
    throw new SpecEditError('map', section.name, 'valueSize', `${size}: ${why}`);
  };
  if (!Number.isInteger(size) || size < 1 || size > U32_MAX) fail(`expected an integer 1..${U32_MAX}`);
  let last: [string, { offset: number; size: number }] | undefined;
  for (const entry of section.variables) if (!last || entry[1].offset >= last[1].offset) last = entry;
  if (!last) return fail('the section has no variables to resize');
  const [varName, variable] = last;
  if (!btf) return fail('the object has no BTF to tell the type of its last variable');
  const datasec = btf.find(section.name, 'datasec');
  const btfVar = datasec?.vars
    .map((v) => btf.type(v.type))
    .find((t) => t.kind === 'var' && t.name === varName);
  const type = btfVar?.kind === 'var' ? resolveType(btf, btfVar.type) : undefined;
  if (type?.kind !== 'array')
    return fail(
      `the section's last variable, ${varName}, is not an array (only a trailing array can be resized)`,
    );
  const element = sizeOf(btf, type.type);
  const room = size - variable.offset;
  if (room < element || room % element !== 0)
    fail(
      `the last variable, ${varName}, starts at ${variable.offset} and holds ${element}-byte elements: ` +
        `the size must be ${variable.offset} + n × ${element} (n ≥ 1)`,
    );
  const contents = new Uint8Array(size);
  contents.set(section.contents.subarray(0, Math.min(size, section.contents.byteLength)));
  const variables = new Map(section.variables);
  variables.set(varName, { offset: variable.offset, size: room });
  return { ...section, contents, variables };
}

/**
 * Changes one map of a collection spec before load, like libbpf's `bpf_map__set_*`: each
 * setter checks the whole definition it would give and throws a {@link SpecEditError} naming
 * the map, the setting and the bad value, leaving the spec unchanged. A data section's map
 * (`.data`, `.bss`, `.data.<name>` …) only changes its value size, by resizing the trailing
 * array variable of the section.
 */
export class MapEdit {
  /** The map's name (a data section's name for its map). */
  readonly name: string;
  readonly #def: Definition | undefined;
  readonly #sections: Map<string, DataSectionSpec> | undefined;
  readonly #btf: Btf | undefined;

  /** @internal */
  constructor(
    name: string,
    target: { definition: Definition } | { dataSections: Map<string, DataSectionSpec> },
    btf: Btf | undefined,
  ) {
    this.name = name;
    this.#def = 'definition' in target ? target.definition : undefined;
    this.#sections = 'dataSections' in target ? target.dataSections : undefined;
    this.#btf = btf;
  }

  /** The map's definition as it will be created (a copy); a data section's map has none. */
  get definition(): Readonly<Definition> | undefined {
    return this.#def && { ...this.#def };
  }

  #change(setting: string, change: Partial<Definition>): this {
    if (!this.#def)
      throw new SpecEditError(
        'map',
        this.name,
        setting,
        "cannot be changed: a data section's map is a one-element array whose value size alone can change",
      );
    checkMapDefinition({ ...this.#def, ...change } as Definition, this.#btf);
    Object.assign(this.#def, change);
    return this;
  }

  /**
   * Sets the value size (`bpf_map__set_value_size`). For a data section's map, resizes the
   * section's last variable, an array: the size must leave room for whole elements.
   * @throws SpecEditError when the size does not fit the BTF value type (without
   *   `withoutBtfTypes`), the map type, or a data section's trailing array
   */
  setValueSize(size: number, options: ValueSizeOptions = {}): this {
    if (this.#sections) {
      const section = this.#sections.get(this.name)!;
      this.#sections.set(this.name, resizedDataSection(section, this.#btf, size));
      return this;
    }
    return this.#change('valueSize', {
      valueSize: size,
      ...(options.withoutBtfTypes ? { withoutBtfTypes: true } : {}),
    });
  }

  /**
   * Sets the key size (`bpf_map__set_key_size`), for a map whose key the object gives by size
   * (`__uint(key_size, n)`, a legacy definition), or with `withoutBtfTypes` for one typed by BTF.
   * @throws SpecEditError when the size does not fit the BTF key type (without
   *   `withoutBtfTypes`) or the map type (array maps take 4, queues and stacks 0 …)
   */
  setKeySize(size: number, options: ValueSizeOptions = {}): this {
    return this.#change('keySize', {
      keySize: size,
      ...(options.withoutBtfTypes ? { withoutBtfTypes: true } : {}),
    });
  }

  /**
   * Creates the map on NUMA node `node` (`bpf_map__set_numa_node`): sets `numa_node` and the
   * `BPF_F_NUMA_NODE` flag it needs (libbpf leaves the flag to the caller; without it the
   * kernel ignores the node).
   * @throws SpecEditError for a node that is not an online NUMA node of this machine
   *   (/sys/devices/system/node/online), or a map type that takes no NUMA flag
   */
  setNumaNode(node: number): this {
    if (!Number.isInteger(node) || node < 0 || node > U32_MAX)
      throw new SpecEditError('map', this.name, 'numaNode', `is ${node}: expected an integer 0..${U32_MAX}`);
    const flags = (this.#def?.flags ?? 0) | BpfMapCreateFlag.NUMA_NODE;
    return this.#change('numaNode', { numaNode: node, flags } as Partial<Definition>);
  }

  /**
   * Sets `map_extra` (`bpf_map__set_map_extra`): a bloom filter's number of hash functions
   * (1..15; 0: the kernel's default, 5), an arena's user-space start address.
   * @throws SpecEditError for a value that is no 64-bit unsigned integer, a map type that takes
   *   none, or a bloom filter value above 15
   */
  setMapExtra(extra: bigint | number): this {
    if (typeof extra === 'number' && !Number.isSafeInteger(extra))
      throw new SpecEditError('map', this.name, 'mapExtra', `is ${extra}: expected an integer`);
    if (typeof extra !== 'bigint' && typeof extra !== 'number')
      throw new SpecEditError(
        'map',
        this.name,
        'mapExtra',
        `is ${String(extra)}: expected a bigint or number`,
      );
    return this.#change('mapExtra', { mapExtra: BigInt(extra) } as Partial<Definition>);
  }

  /**
   * Creates the map with the collection, or not (`bpf_map__set_autocreate(map, false)`): a map
   * left out is not in `collection.maps`, and `loadCollection` refuses to load a program that
   * uses it (or a map whose initial slots name it), before the kernel is asked.
   * @throws SpecEditError for a value that is not a boolean
   */
  setAutocreate(autocreate: boolean): this {
    if (typeof autocreate !== 'boolean')
      throw new SpecEditError(
        'map',
        this.name,
        'autocreate',
        `is ${String(autocreate)}: expected true or false`,
      );
    return this.#change('autocreate', { autocreate });
  }

  /**
   * Uses `map` (any object with the fd of an open map: a `BpfMap`, a map of another collection)
   * instead of creating this one (`bpf_map__reuse_fd`; cilium/ebpf's `MapReplacements`, which
   * `options.mapReplacements` of `loadCollection` does per load). The programs then use `map`.
   * At load, before any map is created, its type, key and value sizes, max entries, flags and
   * map_extra are compared with the definition (as edited by then): a difference is a
   * `MapReplacementError`. The caller keeps `map`: the collection uses a duplicate of its fd
   * (`collection.map(name)` is a view over it, closed with the collection), so `map` stays open
   * after the collection closes and must stay open until the load. The object's pinning of the
   * map does not apply to it (nothing is read from or pinned at its pin path), nor do the
   * object's initial slots of it (`__array(values, …)` initialisers): its contents are the
   * caller's. `setPinPath` and `setAutocreate(false)` conflict with it.
   * @throws SpecEditError when `map` is not an open map, or for a data section's map
   */
  reuse(map: { readonly fd: number }): this {
    if (this.#def) checkMapFd(this.name, map, 'reuse');
    return this.#change('reuse', { reuse: map });
  }

  /** Sets `max_entries` (`bpf_map__set_max_entries`). @throws SpecEditError */
  setMaxEntries(maxEntries: number): this {
    return this.#change('maxEntries', { maxEntries });
  }

  /**
   * Sets the map type (`bpf_map__set_type`, a `BpfMapType` value). @throws SpecEditError for a
   * number that is no map type, or a type the definition conflicts with (key size, inner map,
   * initial values …)
   */
  setType(type: number): this {
    return this.#change('type', { type });
  }

  /** Sets the `BPF_F_*` map flags (`bpf_map__set_map_flags`). @throws SpecEditError */
  setFlags(flags: number): this {
    return this.#change('flags', { flags });
  }

  /**
   * Uses `map` (any object with the fd of an open map) as the inner-map template of this
   * map-in-map (`bpf_map__set_inner_map_fd`); the caller keeps `map` open until the load.
   * @throws SpecEditError when this map holds no maps or `fd` is not a map
   */
  setInnerMap(map: { readonly fd: number }): this {
    if (this.#def) checkMapFd(this.name, map, 'innerMap');
    return this.#change('innerMap', { innerMapTemplate: map });
  }

  /**
   * Pins the map at `path` on bpffs, reusing a map already pinned there
   * (`bpf_map__set_pin_path`). @throws SpecEditError for a path that is not absolute
   */
  setPinPath(path: string): this {
    if (typeof path !== 'string' || !path.startsWith('/') || path.endsWith('/'))
      throw new SpecEditError(
        'map',
        this.name,
        'pinPath',
        `is ${JSON.stringify(path)}: expected an absolute file path`,
      );
    return this.#change('pinPath', { pinPath: path });
  }
}
