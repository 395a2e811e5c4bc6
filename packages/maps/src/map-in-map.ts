import type { Codec } from './codecs/codec.js';
import { u32 } from './codecs/scalars.js';
import { BpfMap, type MapCodecs } from './map.js';
import type { MapPinning } from './map-spec.js';
import { MapType } from './map-types.js';

/** Options of array-of-maps and hash-of-maps. */
export interface MapOfMapsOptions<K> {
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

  private constructor(map: BpfMap<K, number>) {
    this.map = map;
  }

  /** Creates an array of maps (u32 index keys). */
  static array(o: Omit<MapOfMapsOptions<number>, 'key'>): MapOfMaps<number> {
    return new MapOfMaps(
      BpfMap.create<number, number>({
        ...o,
        key: u32,
        value: u32,
        innerMap: o.inner,
        type: MapType.ARRAY_OF_MAPS,
      }),
    );
  }

  /** Creates a hash of maps. */
  static hash<K>(o: MapOfMapsOptions<K> & { key: Codec<K> }): MapOfMaps<K> {
    return new MapOfMaps(
      BpfMap.create<K, number>({ ...o, value: u32, innerMap: o.inner, type: MapType.HASH_OF_MAPS }),
    );
  }

  /** The outer map's fd. */
  get fd(): number {
    return this.map.fd;
  }

  /** Stores `inner` under `key` (the kernel keeps its own reference). */
  set(key: K, inner: { readonly fd: number }, flags = 0): this {
    this.map.set(key, inner.fd, flags);
    return this;
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
