import { BpfMapCreateFlag, BpfSyscallError, type MapInfo, mapInfo } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { u32 } from './codecs/scalars.js';
import { InnerMapMismatchError } from './errors.js';
import { BpfMap } from './map.js';
import type { MapCodecs } from './map-codecs.js';
import { mapLabel } from './map-diagnosis.js';
import type { MapPinning, MapTokenOption } from './map-spec.js';
import { MapType, mapTypeName } from './map-types.js';

type Template = Pick<MapInfo, 'type' | 'id' | 'name' | 'keySize' | 'valueSize' | 'maxEntries' | 'mapFlags'>;

// The ways `inner` differs from the template, as the kernel compares them (bpf_map_meta_equal).
function differences(template: Template, inner: Template): string[] {
  const out: string[] = [];
  if (inner.type !== template.type)
    out.push(`type ${mapTypeName(inner.type)} (template: ${mapTypeName(template.type)})`);
  for (const f of ['keySize', 'valueSize', 'mapFlags'] as const)
    if (inner[f] !== template[f]) out.push(`${f} ${inner[f]} (template: ${template[f]})`);
  // arrays also compare max_entries, unless created with BPF_F_INNER_MAP
  const arrays = template.type === MapType.ARRAY || template.type === MapType.PERCPU_ARRAY;
  if (
    arrays &&
    (template.mapFlags & BpfMapCreateFlag.INNER_MAP) === 0 &&
    inner.maxEntries !== template.maxEntries
  )
    out.push(`maxEntries ${inner.maxEntries} (template: ${template.maxEntries})`);
  return out;
}

/** Options of array-of-maps and hash-of-maps. */
export interface MapOfMapsOptions<K> extends MapTokenOption {
  /** A map whose type, sizes and flags every inner map must match (it may be closed afterwards). */
  inner: { readonly fd: number };
  maxEntries: number;
  /** Hash of maps only: the key codec. */
  key?: Codec<K>;
  flags?: number;
  name?: string;
  pinning?: MapPinning;
}

/** An `BPF_MAP_TYPE_ARRAY_OF_MAPS` or `HASH_OF_MAPS`: set and get inner maps by map object. */
export class MapOfMaps<K> implements Disposable {
  /** The outer map: values are written as fds and read as inner map ids. */
  readonly map: BpfMap<K, number>;
  // The inner map template as it was at creation (the kernel keeps its own copy).
  readonly #template: Template;

  private constructor(map: BpfMap<K, number>, template: Template) {
    this.map = map;
    this.#template = template;
  }

  /** Creates an array of maps (u32 index keys). */
  static array(o: Omit<MapOfMapsOptions<number>, 'key'>): MapOfMaps<number> {
    const template = mapInfo(o.inner.fd);
    return new MapOfMaps(
      BpfMap.create<number, number>({
        ...o,
        key: u32,
        value: u32,
        innerMap: o.inner,
        type: MapType.ARRAY_OF_MAPS,
      }),
      template,
    );
  }

  /** Creates a hash of maps. */
  static hash<K>(o: MapOfMapsOptions<K> & { key: Codec<K> }): MapOfMaps<K> {
    const template = mapInfo(o.inner.fd);
    return new MapOfMaps(
      BpfMap.create<K, number>({ ...o, value: u32, innerMap: o.inner, type: MapType.HASH_OF_MAPS }),
      template,
    );
  }

  /** The outer map's fd. */
  get fd(): number {
    return this.map.fd;
  }

  /**
   * Stores `inner` under `key` (the kernel keeps its own reference).
   * @throws InnerMapMismatchError when `inner` differs from the template in type, sizes or flags.
   */
  set(key: K, inner: { readonly fd: number }, flags = 0): this {
    try {
      this.map.set(key, inner.fd, flags);
    } catch (e) {
      throw this.#explain(e, inner.fd);
    }
    return this;
  }

  // An EINVAL from storing an inner map that does not match the template: name both maps.
  #explain(e: unknown, innerFd: number): unknown {
    if (!(e instanceof BpfSyscallError) || e.code !== 'EINVAL') return e;
    let inner: MapInfo;
    try {
      inner = mapInfo(innerFd);
    } catch {
      return e;
    }
    const diff = differences(this.#template, inner);
    if (diff.length === 0) return e;
    const t = this.#template;
    const outer = mapLabel(this.map.type, this.map.name, this.map.info().id);
    return new InnerMapMismatchError(
      outer,
      `inner ${mapLabel(inner.type, inner.name, inner.id)} does not match the template ${mapLabel(t.type, t.name, t.id)} it was created with: ${diff.join(', ')}`,
      e,
    );
  }

  /** The kernel id of the inner map under `key`. */
  getId(key: K): number | undefined {
    return this.map.get(key);
  }

  /** Opens the inner map under `key` as a new `BpfMap` (close it when done). */
  get<IK = unknown, IV = unknown>(key: K, codecs: MapCodecs<IK, IV> = {}): BpfMap<IK, IV> | undefined {
    const id = this.getId(key);
    return id === undefined ? undefined : BpfMap.fromId(id, codecs);
  }

  /** Removes the inner map under `key`. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Closes the outer map; idempotent. */
  close(): void {
    this.map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Array of maps: `ArrayOfMaps.create({ inner, maxEntries })`. */
export const ArrayOfMaps = { create: MapOfMaps.array };
/** Hash of maps: `HashOfMaps.create({ inner, key, maxEntries })`. */
export const HashOfMaps = { create: MapOfMaps.hash };
