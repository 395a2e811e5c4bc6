import { BpfMap, bytes, type Codec, isPerCpuType, type MapSpec, mapTypeName } from '@ts-ebpf/maps';

/** A map as the loader sees it: raw bytes for keys and values. */
export type RawMap = BpfMap<Uint8Array, Uint8Array>;

import {
  BpfMapCreateFlag,
  BpfMapType,
  BpfSyscallError,
  type BpfToken,
  close,
  dupFd,
  isObjectName,
  mapFreeze,
  type PinPlace,
  pinPlace,
  possibleCpuCount,
  undoPin,
} from '@ts-ebpf/syscall';
import { type BtfMapSpec, defaultMapDefinition, Pinning } from './btf-maps.js';
import type { CollectionSpec, DataSectionSpec, LegacyMapSpec } from './collection-spec.js';
import { ElfError, MapCreateError } from './errors.js';
import type { KconfigData } from './kconfig.js';

/** What the loader needs to create an object's maps. */
export interface MapCreationInput {
  spec: CollectionSpec;
  btfMaps: Map<string, BtfMapSpec>;
  /** The object's BTF loaded into the kernel, for map key/value types. */
  btfFd: number | undefined;
  kconfig: KconfigData | undefined;
  /**
   * DATASECs of the BTF loaded as `btfFd` by name: each data section's (`.kconfig`'s
   * included) is the value type of its map, as libbpf gives it.
   */
  dataSectionTypes: ReadonlyMap<string, { readonly id: number; readonly size: number }>;
  /** Directory for maps pinned by name (libbpf's default is /sys/fs/bpf). */
  pinRoot: string;
  /** Maps taken instead of created, by name (checked against their definitions already). */
  replacements: ReadonlyMap<string, { readonly fd: number }>;
  /** The BPF token every map is created under, if the load has one. */
  token: BpfToken | undefined;
}

/** The maps of a collection: named maps, data-section maps and the `.kconfig` map. */
export interface CreatedMaps {
  maps: Map<string, RawMap>;
  /** Section name (`.bss`, `.rodata`, `.kconfig` …) → its one-element array map. */
  data: Map<string, RawMap>;
  /** The pins made (not reused), in order: undone when the load fails. */
  pins: PinPlace[];
}

const NAME_MAX = 15;
const ZERO_KEY = new Uint8Array(4);

/** A kernel object name for `name`: at most 15 characters of `[A-Za-z0-9_.]`. */
export function kernelName(name: string): string {
  // Most names are kernel names already: kept as they are, without a regular expression.
  if (isObjectName(name)) return name;
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, NAME_MAX);
}

/** Like libbpf: a perf_event_array without max_entries gets one slot per possible CPU. */
function maxEntries(spec: BtfMapSpec): number {
  if (spec.type === BpfMapType.PERF_EVENT_ARRAY && spec.maxEntries === 0) return possibleCpuCount();
  return spec.maxEntries;
}

/** Map types the kernel creates only with key/value BTF. */
export const NEEDS_BTF: ReadonlySet<number> = new Set([
  BpfMapType.SK_STORAGE,
  BpfMapType.INODE_STORAGE,
  BpfMapType.TASK_STORAGE,
  BpfMapType.CGRP_STORAGE,
  BpfMapType.CGROUP_STORAGE,
  BpfMapType.PERCPU_CGROUP_STORAGE,
  BpfMapType.STRUCT_OPS,
]);

/** Raw byte codecs by size, shared by every map a load creates (they hold no state). */
const byteCodecs = new Map<number, Codec<Uint8Array>>();
/** Sizes kept in `byteCodecs` at most: objects use a handful; the rest get a codec each. */
const BYTE_CODECS_KEPT = 256;

function byteCodec(size: number): Codec<Uint8Array> {
  let codec = byteCodecs.get(size);
  if (codec === undefined) {
    codec = bytes(size);
    if (byteCodecs.size < BYTE_CODECS_KEPT) byteCodecs.set(size, codec);
  }
  return codec;
}

/**
 * Creates one map of the object, its keys and values raw bytes of the sizes `spec` gives. A
 * failure names the map and what was asked, with the kernel's (or the maps package's) error as
 * `cause`.
 */
function createNamed(
  name: string,
  spec: MapSpec<Uint8Array, Uint8Array>,
  token: BpfToken | undefined,
): RawMap {
  try {
    spec.token = token;
    // Codecs of these sizes made once, not per map as BpfMap.create makes them from the sizes
    // (per-CPU values keep the sizes: their codec, perCpu(), is sized by the CPU count).
    spec.key = byteCodec(spec.keySize ?? 0);
    if (!isPerCpuType(spec.type)) spec.value = byteCodec(spec.valueSize ?? 0);
    return BpfMap.create(spec);
  } catch (e) {
    const type = mapTypeName(spec.type);
    const asked = [
      type.startsWith('type ') ? type : `type ${type}`,
      `key ${spec.keySize ?? 0} B`,
      `value ${spec.valueSize ?? 0} B`,
      `max_entries ${spec.maxEntries}`,
      `flags 0x${(spec.flags ?? 0).toString(16)}`,
      ...(spec.btf ? ['with BTF key/value types'] : []),
    ].join(', ');
    throw new MapCreateError(name, asked, e);
  }
}

/**
 * Creates one map of the object. A pin it makes (at a path found free) is added to `pins`; a
 * pin found at its path is reused, as libbpf reuses one.
 */
function createBtfMap(
  spec: BtfMapSpec,
  input: MapCreationInput,
  pins: PinPlace[],
  inner?: { readonly fd: number },
): RawMap {
  // As libbpf: the object's BTF with the key and value types the definition names. Of the
  // maps without a key, the kernel takes a value type alone only for a bloom filter.
  const withBtf =
    input.btfFd !== undefined &&
    spec.valueTypeId !== 0 &&
    (spec.keyTypeId !== 0 || spec.type === BpfMapType.BLOOM_FILTER) &&
    !spec.withoutBtfTypes;
  const pinPath =
    spec.pinPath ?? (spec.pinning === Pinning.BY_NAME ? `${input.pinRoot}/${spec.name}` : undefined);
  const pin = pinPath === undefined ? undefined : pinPlace(pinPath);
  // Every field written (undefined when unset), in one order: no spreads, one shape for all maps.
  const request: MapSpec<Uint8Array, Uint8Array> = {
    type: spec.type,
    key: undefined,
    value: undefined,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: maxEntries(spec),
    flags: spec.flags,
    name: kernelName(spec.name),
    numaNode: spec.numaNode || undefined,
    mapExtra: spec.mapExtra || undefined,
    innerMap: inner,
    btf: withBtf ? { fd: input.btfFd!, keyTypeId: spec.keyTypeId, valueTypeId: spec.valueTypeId } : undefined,
    // Reused when found there, else made: a pin appearing meanwhile is refused, not taken for ours.
    pinning: pin ? { path: pin.path, reuse: pin.taken } : undefined,
  };
  let map: RawMap;
  try {
    map = createNamed(spec.name, request, input.token);
  } catch (e) {
    // Some map types (sockmap, sockhash …) refuse key/value BTF with ENOTSUPP/EOPNOTSUPP: only
    // then is the map created without it (documented on loadCollection's maps); any other
    // refusal is the user's to see, and so is a type that cannot exist without BTF.
    if (
      !withBtf ||
      NEEDS_BTF.has(spec.type) ||
      !(e instanceof MapCreateError && e.cause instanceof BpfSyscallError) ||
      (e.cause.code !== 'ENOTSUPP' && e.cause.code !== 'EOPNOTSUPP')
    )
      throw e;
    try {
      map = createNamed(spec.name, { ...request, btf: undefined }, input.token);
    } catch {
      throw e;
    }
  }
  if (pin && !pin.taken) pins.push(pin);
  return map;
}

/**
 * The collection's view of a replacement map: a `BpfMap` over a duplicate of its fd, so that
 * closing the collection leaves the caller's map open.
 */
function adoptReplacement(map: { readonly fd: number }): RawMap {
  const fd = dupFd(map.fd);
  try {
    return BpfMap.fromFd(fd) as RawMap;
  } catch (e) {
    close(fd);
    throw e;
  }
}

/**
 * The map of definition `spec` a load uses: the replacement given for it, or one created (not
 * created, undefined, for a definition set not to be).
 */
function mapFor(
  spec: BtfMapSpec,
  input: MapCreationInput,
  pins: PinPlace[],
  inner: { readonly fd: number } | undefined,
): RawMap | undefined {
  const replacement = input.replacements.get(spec.name);
  if (replacement) return adoptReplacement(replacement);
  if (spec.autocreate === false) return undefined;
  if (inner || !spec.innerMap) return createBtfMap(spec, input, pins, inner);
  using template = createBtfMap(spec.innerMap, input, pins);
  return createBtfMap(spec, input, pins, template);
}

/** A legacy `maps` definition in the shape of a BTF-defined one (no BTF types, no pinning). */
function legacyAsBtfMap(legacy: LegacyMapSpec): BtfMapSpec {
  return { ...defaultMapDefinition(legacy.name), ...legacy };
}

/** Whether every byte of `bytes` is 0 (true for none). */
function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The one-element array map of a data section (or `.kconfig`). `mmapable` when it holds
 * variables, so that they are read and written without system calls; a section of only
 * unnamed data (string literals: `.rodata.str1.1`) is not, as in libbpf. Read-only
 * sections are frozen. As in libbpf, the value type is the section's DATASEC in the
 * object's BTF, when it has one of the map's size (a section resized before loading has
 * none: its map is created without BTF types).
 */
function dataMap(
  name: string,
  contents: Uint8Array,
  readOnly: boolean,
  mmapable: boolean,
  input: MapCreationInput,
): RawMap {
  const valueSize = Math.max(contents.byteLength, 1);
  const datasec = input.dataSectionTypes.get(name);
  const btf = input.btfFd !== undefined && datasec && datasec.size === valueSize;
  const map = createNamed(
    name,
    {
      type: BpfMapType.ARRAY,
      key: undefined,
      value: undefined,
      keySize: 4,
      valueSize,
      maxEntries: 1,
      flags: (mmapable ? BpfMapCreateFlag.MMAPABLE : 0) | (readOnly ? BpfMapCreateFlag.RDONLY_PROG : 0),
      name: kernelName(name),
      btf: btf ? { fd: input.btfFd!, keyTypeId: 0, valueTypeId: datasec.id } : undefined,
    },
    input.token,
  );
  // The kernel creates array values zeroed: all-zero contents (`.bss`) need no update (as libbpf).
  if (!allZero(contents)) map.set(ZERO_KEY, contents);
  if (readOnly) mapFreeze(map.fd);
  return map;
}

/**
 * Creates every map of an object: BTF-defined maps (map-in-map inner templates
 * included), legacy `maps`, one array map per data section, and `.kconfig`. A named map given a
 * replacement is that map (through a duplicate of its fd); one set not to be created is left out.
 * On failure, closes what it created, removes the pins it made and rethrows.
 */
export function createMaps(input: MapCreationInput, data: Map<string, DataSectionSpec>): CreatedMaps {
  const maps = new Map<string, RawMap>();
  const dataMaps = new Map<string, RawMap>();
  const pins: PinPlace[] = [];
  try {
    for (const spec of input.btfMaps.values()) {
      const map = mapFor(spec, input, pins, spec.innerMapTemplate);
      if (map) maps.set(spec.name, map);
    }
    for (const legacy of input.spec.legacyMaps.values()) {
      if (input.btfMaps.has(legacy.name)) throw new ElfError(`map ${legacy.name} is defined twice`);
      const map = mapFor(legacyAsBtfMap(legacy), input, pins, legacy.innerMapTemplate);
      if (map) maps.set(legacy.name, map);
    }
    for (const section of data.values())
      dataMaps.set(
        section.name,
        dataMap(section.name, section.contents, section.readOnly, section.variables.size > 0, input),
      );
    if (input.kconfig && input.kconfig.externs.size > 0) {
      dataMaps.set('.kconfig', dataMap('.kconfig', input.kconfig.contents, true, true, input));
    }
    return { maps, data: dataMaps, pins };
  } catch (e) {
    try {
      for (const m of [...maps.values(), ...dataMaps.values()]) m.close();
    } finally {
      undoPins(pins);
    }
    throw e;
  }
}

/**
 * Removes the pins of a failed load, last made first, with the directories made for them (as
 * libbpf's `bpf_object__load` unpins the maps it pinned itself, not those it reused). Every pin
 * is tried; then the first error is thrown.
 */
export function undoPins(pins: readonly PinPlace[]): void {
  let failure: { error: unknown } | undefined;
  for (const pin of [...pins].reverse()) {
    try {
      undoPin(pin);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
