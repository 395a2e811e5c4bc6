import type { MapInfo } from '@ts-ebpf/syscall';
import { bytes } from './codecs/bytes.js';
import { type Codec, notACodec } from './codecs/codec.js';
import { isPerCpu, perCpu } from './codecs/per-cpu.js';
import { detailOf, isReadPath, pathIn } from './codecs/read-path.js';
import { CodecError } from './errors.js';
import type { MapSpec } from './map-spec.js';
import { isKeyless, isPerCpuType, mapTypeName } from './map-types.js';

// The key and value codecs of a map, fitted to its sizes: the spec's for a map about to be
// created, the caller's (or raw bytes) for a map opened from an fd, a pin or an id.

/** Codecs to read an existing map with. */
export interface MapCodecs<K, V> {
  key?: Codec<K>;
  /**
   * The value codec; a per-CPU map (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH,
   * PERCPU_CGROUP_STORAGE) needs a `perCpu(...)` one (`perCpu(u64)`: `bigint[]`, one value per
   * possible CPU), as {@link BpfMap.create} does: a plain codec is a `CodecError`.
   */
  value?: Codec<V>;
}

/**
 * The codec given, checked against `size`; raw bytes of `size` when none is given.
 * @param map - the map's label, which the errors name
 * @throws CodecError naming the map and `what` when `c` is not a codec (untyped callers), or its
 * size is not `size`
 */
function resolveCodec<T>(
  c: Codec<T> | undefined,
  size: number | undefined,
  what: string,
  map: string,
): Codec<T> {
  if (c !== undefined) {
    const fault = notACodec(c, 'read and write');
    if (fault !== undefined)
      throw new CodecError(what, `is ${fault}, not a codec: give one (u32, struct({ … }), bytes(n) …)`, {
        map,
      });
    if (size !== undefined && size !== c.size) {
      throw new CodecError(what, `codec ${c.name} is ${c.size} bytes but ${what}Size is ${size}`, { map });
    }
    return c;
  }
  if (size === undefined) throw new CodecError(what, `give a ${what} codec or ${what}Size`, { map });
  return bytes(size) as unknown as Codec<T>;
}

/** A map's codecs and the value size the kernel is told (per CPU for per-CPU maps). */
export interface FittedCodecs<K, V> {
  readonly key: Codec<K>;
  /** A `PerCpuCodec` for per-CPU maps. */
  readonly value: Codec<V>;
  readonly valueSize: number;
}

// The size of one CPU's value of a per-CPU codec.
const elementSize = (c: Codec<unknown>) => (c as unknown as { element: Codec<unknown> }).element.size;

/**
 * @internal The codecs a spec asks for: keyless types get an empty key; per-CPU types given a value
 * size only get raw bytes wrapped in `perCpu` (a spec's own codec must be one already:
 * {@link perCpuValueCodec}).
 * @throws CodecError when a codec's size differs from the spec's, or neither is given
 */
export function specCodecs<K, V>(spec: MapSpec<K, V>, map: string): FittedCodecs<K, V> {
  // A keyless type's key is empty; a key given anyway keeps its size, which the spec check refuses.
  const key =
    isKeyless(spec.type) && spec.key === undefined && (spec.keySize ?? 0) === 0
      ? (bytes(0) as unknown as Codec<K>)
      : resolveCodec(spec.key, spec.keySize, 'key', map);
  const value = resolveCodec(spec.value, spec.valueSize ?? (spec.value ? undefined : 0), 'value', map);
  if (!isPerCpuType(spec.type)) return { key, value, valueSize: value.size };
  const perCpuValue = perCpuValueCodec(spec.type, value, spec.value !== undefined, map);
  return { key, value: perCpuValue, valueSize: elementSize(perCpuValue) };
}

/**
 * @internal The value codec of a map of per-CPU `type`: `value` itself when it is a `perCpu(...)`
 * codec, raw bytes of one CPU's value (`value`, made from the value size when the caller gave no
 * codec) wrapped in `perCpu`. The one rule for every map typed with codecs, created or opened: a
 * per-CPU map's values are one value per possible CPU, so a plain codec the caller gave is refused
 * rather than typed as one value and read as an array.
 * @param given - whether the caller gave `value` (not raw bytes made from a size)
 * @throws CodecError naming `map`, for a plain codec the caller gave: telling to wrap it in `perCpu`
 */
export function perCpuValueCodec<V>(type: number, value: Codec<V>, given: boolean, map: string): Codec<V> {
  if (isPerCpu(value)) return value;
  if (given)
    throw new CodecError(
      'value',
      `${mapTypeName(type)} maps need a perCpu(...) value codec: one value per possible CPU; give perCpu(${value.name}), not ${value.name}`,
      { map },
    );
  return perCpu(value) as unknown as Codec<V>;
}

/**
 * @internal The codecs to read an existing map with, fitted to the sizes the kernel reports:
 * raw bytes where none is given (a per-CPU map's: one `Uint8Array` per CPU).
 * @throws CodecError when a codec's size differs from the map's, or a per-CPU map is given a plain
 * value codec (the rule of {@link perCpuValueCodec}, as {@link specCodecs} applies it)
 */
export function infoCodecs<K, V>(
  info: MapInfo,
  codecs: MapCodecs<K, V>,
  map: string,
): { key: Codec<K>; value: Codec<V> } {
  const key = resolveCodec(codecs.key, info.keySize, 'key', map);
  if (!isPerCpuType(info.type))
    return { key, value: resolveCodec(codecs.value, info.valueSize, 'value', map) };
  // A codec given is checked to be one, then to be per-CPU, then its element's size.
  const given = codecs.value !== undefined;
  const value = perCpuValueCodec(
    info.type,
    resolveCodec(codecs.value, given ? undefined : info.valueSize, 'value', map),
    given,
    map,
  );
  const element = (value as unknown as { element: Codec<unknown> }).element;
  if (element.size !== info.valueSize) {
    throw new CodecError(
      'value',
      `per-CPU element codec ${element.name} is ${element.size} bytes but valueSize is ${info.valueSize}`,
      { map },
    );
  }
  return { key, value: value as unknown as Codec<V> };
}

/**
 * @internal `e`, an error a map's `side` codec threw, as the map reports it: a {@link CodecError}
 * becomes one that names `map` and the side (a written field's path names the side already; a
 * decoded field's path is put inside it, `value.hdr.ts`; an error about the whole value is named
 * by the side: `value: u64AsNumber: …`), with `e` as its cause. Any other
 * error, and one naming a map already, is returned as it is. `note` is added to the message.
 */
export function codecErrorOf(e: unknown, map: string, side: 'key' | 'value', note?: string): unknown {
  if (!(e instanceof CodecError) || e.map !== undefined) return e;
  const after = note === undefined ? '' : `; ${note}`;
  if (isReadPath(e))
    return new CodecError(pathIn(side, e.field), `${detailOf(e)}${after}`, { map, cause: e });
  if (e.field.startsWith(side) && e.message.startsWith(`${e.field}: `))
    return new CodecError(e.field, `${detailOf(e)}${after}`, { map, cause: e });
  return new CodecError(side, `${e.message}${after}`, { map, cause: e });
}

/**
 * @internal What a {@link codecErrorOf} error adds for a value the kernel removed from the map before
 * it was decoded (lookup-and-delete, pop): that the map no longer holds it, and its bytes.
 */
export function removedNote(view: DataView, offset: number, size: number): string {
  let hex = '';
  for (let i = 0; i < size; i++)
    hex += view
      .getUint8(offset + i)
      .toString(16)
      .padStart(2, '0');
  return `the map removed this entry before it was decoded (value bytes 0x${hex})`;
}
