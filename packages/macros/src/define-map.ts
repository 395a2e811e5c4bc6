import {
  bytes,
  type Codec,
  checkMapSpec,
  isEntryless,
  isKeyless,
  isPerCpu,
  isPerCpuType,
  isValueless,
  type MapPinning,
  type MapSpec,
  MapType,
  mapTypeName,
  needsInnerMap,
  notACodec,
  type PerCpuCodec,
} from '@ts-ebpf/maps';
import { BpfArgumentError, checkObjectName } from '@ts-ebpf/syscall';
import { DefinitionError } from './errors.js';

/**
 * `maxEntries` when a definition gives none (ring buffers: {@link DEFAULT_RINGBUF_BYTES}; cgroup
 * and local storage: 0, the only number the kernel takes).
 */
export const DEFAULT_MAX_ENTRIES = 1024;
/** A ring buffer's size when a definition gives none: 256 KiB. */
export const DEFAULT_RINGBUF_BYTES = 256 * 1024;

/** What {@link defineMap} takes: a map spec whose every field but the key and value has a default. */
export interface MapDefinitionOptions<K, V> {
  /** `MapType.*` (default `MapType.HASH`). */
  readonly type?: number;
  /**
   * Key codec (K is inferred from it). Keyless types (queue, stack, ring buffer, bloom filter,
   * arena) take none.
   */
  readonly key?: Codec<K>;
  /** Key size in bytes when there is no codec (K is then `Uint8Array`). */
  readonly keySize?: number;
  /**
   * Value codec (V is inferred from it); per-CPU types take a `perCpu(...)` codec (a plain one is
   * refused); ring buffers and arenas take none.
   */
  readonly value?: Codec<V>;
  /** Value size in bytes when there is no codec (V is then `Uint8Array`). */
  readonly valueSize?: number;
  /**
   * Default {@link DEFAULT_MAX_ENTRIES} (ring buffers: {@link DEFAULT_RINGBUF_BYTES}; cgroup and
   * local storage: 0, the only number the kernel takes for them).
   */
  readonly maxEntries?: number;
  /** `BPF_F_*` map flags (default 0). */
  readonly flags?: number;
  /**
   * The kernel's name of the map (at most 15 of `[A-Za-z0-9_.]`). Default: the name the script
   * gives it (its key in `maps`).
   */
  readonly name?: string;
  /** Pin on bpffs (and, with `reuse`, open an existing pin instead of creating). */
  readonly pinning?: MapPinning;
  /** NUMA node. */
  readonly numaNode?: number;
  /** `map_extra` (bloom filter: number of hash functions). */
  readonly mapExtra?: bigint | number;
  /**
   * Array and hash of maps only: the inner map template (a `BpfMap`, anything with an `fd`),
   * whose type, sizes and flags every map stored in it must have. It must be open when a script
   * creates the map (the kernel keeps its own copy of the template then).
   */
  readonly innerMap?: { readonly fd: number };
}

const BRAND: unique symbol = Symbol('@ts-ebpf/macros:MapDefinition') as never;

/**
 * A reusable, checked map spec made by {@link defineMap}: a script creates one map from it per
 * name it is given under. K and V are the key and value types of the map the script hands back.
 */
export interface MapDefinition<K = unknown, V = unknown> {
  /** Marks a definition made by {@link defineMap}. */
  readonly [BRAND]: true;
  /** `MapType.*`. */
  readonly type: number;
  /** The spec `BpfMap.create` is given, without its name (the script adds it). */
  readonly spec: Readonly<MapSpec<K, V>>;
}

/** Any map definition (the key and value types left open). */
// biome-ignore lint/suspicious/noExplicitAny: K and V are inferred per definition; any keeps variance out of the way
export type AnyMapDefinition = MapDefinition<any, any>;

/** True when `value` was made by {@link defineMap}. */
export function isMapDefinition(value: unknown): value is AnyMapDefinition {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

function sizeInRange(v: number | undefined, min: number): boolean {
  return v === undefined || (Number.isInteger(v) && v >= min && v <= 0xffff_ffff);
}

type Fail = (field: string, why: string) => never;

/**
 * Defines a map once, to be created by any number of scripts: defaults filled in (`MapType.HASH`,
 * {@link DEFAULT_MAX_ENTRIES} entries), codecs resolved (a size gives a `bytes(n)` codec), and
 * checked now for what the kernel would refuse: the checks of `BpfMap.create` (sizes, entries
 * and flags each type takes) and the options of a definition.
 * @throws DefinitionError naming the map and the option (no key for a keyed type, a key or value
 * that is not a codec, a codec whose size disagrees with the size given, an unknown type, a
 * struct_ops type, a bad name …)
 * @throws MapSpecError (of `@ts-ebpf/maps`) for what the kernel refuses of the map's type (0
 * entries, 0-byte values, an array key that is not 4 bytes, an fd-holding value that is not 4
 * bytes, an LPM trie without `BPF_F_NO_PREALLOC`, a map of maps without `innerMap`, ring
 * buffer sizes that are not a power-of-2 number of pages …)
 */
export function defineMap<K = Uint8Array, V = Uint8Array>(
  o: MapDefinitionOptions<K, V>,
): MapDefinition<K, V> {
  const type = o.type ?? MapType.HASH;
  const subject = `map${o.name ? ` '${o.name}'` : ''}`;
  const fail: Fail = (field, why) => {
    throw new DefinitionError(subject, field, why);
  };
  checkOptions(o, type, fail);
  const ringbuf = type === MapType.RINGBUF || type === MapType.USER_RINGBUF;
  const maxEntries =
    o.maxEntries ?? (ringbuf ? DEFAULT_RINGBUF_BYTES : isEntryless(type) ? 0 : DEFAULT_MAX_ENTRIES);
  const keyless = isKeyless(type);
  if (keyless && (o.key !== undefined || o.keySize !== undefined))
    fail('key', `is given, but ${mapTypeName(type)} maps have no keys`);
  const key = keyless ? bytes(0) : codecOf(o.key, o.keySize, 'key', fail);
  const noValue = isValueless(type);
  if (noValue && (o.value !== undefined || o.valueSize !== undefined))
    fail('value', `is given, but ${mapTypeName(type)} maps have no fixed-size values`);
  const value: Codec<unknown> = noValue ? bytes(0) : codecOf(o.value, o.valueSize, 'value', fail);
  let valueSize = value.size;
  if (isPerCpuType(type)) {
    if (!isPerCpu(value))
      fail('value', `must be a perCpu(...) codec: ${mapTypeName(type)} maps hold one value per CPU`);
    valueSize = (value as PerCpuCodec<unknown>).element.size;
  } else if (isPerCpu(value))
    fail('value', `is a perCpu(...) codec, but ${mapTypeName(type)} maps are not per-CPU`);
  checkMapSpec(subject, {
    type,
    keySize: key.size,
    valueSize,
    maxEntries,
    flags: o.flags ?? 0,
    ...(o.mapExtra !== undefined && { mapExtra: o.mapExtra }),
    hasInnerMap: o.innerMap !== undefined,
  });
  const spec: MapSpec<K, V> = {
    type,
    ...(!keyless && { key: key as Codec<K> }),
    ...(noValue ? { valueSize: 0 } : { value: value as Codec<V> }),
    maxEntries,
    ...(o.flags !== undefined && { flags: o.flags }),
    ...(o.name !== undefined && { name: o.name }),
    ...(o.numaNode !== undefined && { numaNode: o.numaNode }),
    ...(o.mapExtra !== undefined && { mapExtra: o.mapExtra }),
    ...(o.innerMap !== undefined && { innerMap: o.innerMap }),
    ...(o.pinning !== undefined && { pinning: { ...o.pinning } }),
  };
  return Object.freeze({ [BRAND]: true as const, type, spec: Object.freeze(spec) });
}

// The options a definition alone can tell are wrong: type, sizes, name, inner map.
function checkOptions(o: MapDefinitionOptions<unknown, unknown>, type: number, fail: Fail): void {
  if (!Object.values(MapType).includes(type as never)) fail('type', `${type} is not a MapType`);
  if (type === MapType.STRUCT_OPS)
    fail(
      'type',
      "is struct_ops, whose map holds a kernel ops struct described by vmlinux BTF: register one with script's structOps option (or StructOpsMap.create of @ts-ebpf/maps), not defineMap",
    );
  if (!sizeInRange(o.maxEntries, 0)) fail('maxEntries', `${o.maxEntries} is not an integer in 0..2^32-1`);
  if (!sizeInRange(o.keySize, 1)) fail('keySize', `${o.keySize} is not a positive integer`);
  if (!sizeInRange(o.valueSize, 1)) fail('valueSize', `${o.valueSize} is not a positive integer`);
  if (o.name !== undefined) {
    try {
      checkObjectName(o.name, 'name');
    } catch (e) {
      if (e instanceof BpfArgumentError) fail('name', (e as Error).message);
      throw e;
    }
  }
  if (o.innerMap === undefined) return;
  if (!needsInnerMap(type))
    fail(
      'innerMap',
      `is given, but ${mapTypeName(type)} maps hold no maps (array_of_maps and hash_of_maps do)`,
    );
  const inner: unknown = o.innerMap;
  if (typeof inner !== 'object' || inner === null || !('fd' in inner)) {
    const what =
      inner === null ? 'null' : typeof inner === 'object' ? 'an object without an fd' : typeof inner;
    fail('innerMap', `is ${what}, not a map (a BpfMap, anything with an fd)`);
  }
}

function codecOf<T>(
  codec: Codec<T> | undefined,
  size: number | undefined,
  what: 'key' | 'value',
  fail: Fail,
): Codec<unknown> {
  if (codec !== undefined) {
    const fault = notACodec(codec, 'read and write');
    if (fault !== undefined)
      fail(what, `is ${fault}, not a codec: give a codec (u32, struct({ … }), bytes(n) …) or ${what}Size`);
    const codecSize = isPerCpu(codec) ? codec.element.size : codec.size;
    if (size !== undefined && size !== codecSize)
      fail(`${what}Size`, `is ${size}, but the ${what} codec ${codec.name} is ${codecSize} bytes`);
    return codec as Codec<unknown>;
  }
  if (size === undefined) return fail(what, `is missing: give a ${what} codec or ${what}Size`);
  return bytes(size);
}
