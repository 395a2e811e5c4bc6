import type { MapInfo } from '@ts-ebpf/syscall';
import { bytes } from './codecs/bytes.js';
import { type Codec, notACodec } from './codecs/codec.js';
import { isPerCpu, perCpu } from './codecs/per-cpu.js';
import { detailOf, isReadPath, pathIn } from './codecs/read-path.js';
import { CodecError } from './errors.js';
import type { MapCodecs } from './map.js';
import type { MapSpec } from './map-spec.js';
import { isKeyless, isPerCpuType, mapTypeName } from './map-types.js';

// The key and value codecs of a map, fitted to its sizes: the spec's for a map about to be
// created, the caller's (or raw bytes) for a map opened from an fd, a pin or an id.

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
 * @internal The codecs a spec asks for: keyless types get an empty key; per-CPU types wrap a plain
 * value codec in `perCpu` (a spec's own codec must be one already).
 * @throws CodecError when a codec's size differs from the spec's, or neither is given
 */
export function specCodecs<K, V>(spec: MapSpec<K, V>, map: string): FittedCodecs<K, V> {
  // A keyless type's key is empty; a key given anyway keeps its size, which the spec check refuses.
  const key =
    isKeyless(spec.type) && spec.key === undefined && (spec.keySize ?? 0) === 0
      ? (bytes(0) as unknown as Codec<K>)
      : resolveCodec(spec.key, spec.keySize, 'key', map);
  let value = resolveCodec(spec.value, spec.valueSize ?? (spec.value ? undefined : 0), 'value', map);
  if (!isPerCpuType(spec.type)) return { key, value, valueSize: value.size };
  if (!isPerCpu(value)) {
    if (spec.value)
      throw new CodecError('value', `${mapTypeName(spec.type)} maps need a perCpu(...) value codec`, { map });
    value = perCpu(value) as unknown as Codec<V>;
  }
  return { key, value, valueSize: elementSize(value) };
}

/**
 * @internal The codecs to read an existing map with, fitted to the sizes the kernel reports:
 * raw bytes where none is given; a per-CPU map's plain value codec wrapped in `perCpu`.
 * @throws CodecError when a codec's size differs from the map's
 */
export function infoCodecs<K, V>(
  info: MapInfo,
  codecs: MapCodecs<K, V>,
  map: string,
): { key: Codec<K>; value: Codec<V> } {
  const key = resolveCodec(codecs.key, info.keySize, 'key', map);
  if (!isPerCpuType(info.type))
    return { key, value: resolveCodec(codecs.value, info.valueSize, 'value', map) };
  const value =
    codecs.value && isPerCpu(codecs.value)
      ? codecs.value
      : perCpu(resolveCodec(codecs.value, info.valueSize, 'value', map));
  if (elementSize(value) !== info.valueSize) {
    throw new CodecError('value', `per-CPU element is not ${info.valueSize} bytes`, { map });
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
