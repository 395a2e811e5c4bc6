import { mapLookupElem } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { MapTypeError } from './errors.js';
import { BpfMap } from './map.js';
import type { MapPinning, MapTokenOption } from './map-spec.js';
import { MapType, mapTypeName } from './map-types.js';

/** Options of queue, stack and bloom filter maps. */
export interface KeylessOptions<V> extends MapTokenOption {
  value: Codec<V>;
  maxEntries: number;
  flags?: number;
  name?: string;
  pinning?: MapPinning;
}

/** BPF_EXIST for push: when full, drop the oldest element instead of failing. */
export const PUSH_OVERWRITE = 2;

/** Shared by typed wrappers: the underlying map, its fd and its lifetime. */
export abstract class MapWrapper<K, V> implements Disposable {
  /** The wrapped map (for generic operations and to pass to programs). */
  readonly map: BpfMap<K, V>;

  protected constructor(map: BpfMap<K, V>) {
    this.map = map;
  }

  /** The map fd. */
  get fd(): number {
    return this.map.fd;
  }

  /** Pins the map. */
  pin(path: string): void {
    this.map.pin(path);
  }

  /** Closes the map; idempotent. */
  close(): void {
    this.map.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A FIFO (`BPF_MAP_TYPE_QUEUE`) or LIFO (`BPF_MAP_TYPE_STACK`) of values. */
export class QueueMap<V> extends MapWrapper<never, V> {
  /** Creates a queue. */
  static create<V>(o: KeylessOptions<V>): QueueMap<V> {
    return new QueueMap(BpfMap.create<never, V>({ ...o, type: MapType.QUEUE }));
  }

  /** Wraps an existing queue or stack map. @throws MapTypeError for a map of another type. */
  static wrap<V>(map: BpfMap<never, V>): QueueMap<V> {
    if (map.type !== MapType.QUEUE && map.type !== MapType.STACK)
      throw new MapTypeError(
        'QueueMap.wrap',
        map.label(),
        `a ${mapTypeName(map.type)} map is not a queue or stack: push, pop and peek need one`,
      );
    return new QueueMap(map);
  }

  /** Appends `value`; `PUSH_OVERWRITE` drops the oldest when full (otherwise E2BIG). */
  push(value: V, flags = 0): void {
    this.map.pushRaw(value, flags);
  }

  /** Takes the next value, or undefined when empty. */
  pop(): V | undefined {
    return this.map.takeRaw();
  }

  /** The next value without taking it. */
  peek(): V | undefined {
    return this.map.lookupRaw(null);
  }

  /** Pops everything; returns how many values there were. */
  clear(): number {
    return this.map.clear();
  }
}

/** A LIFO stack of values (`BPF_MAP_TYPE_STACK`). */
export class StackMap<V> extends QueueMap<V> {
  /** Creates a stack. */
  static override create<V>(o: KeylessOptions<V>): StackMap<V> {
    return new StackMap(BpfMap.create<never, V>({ ...o, type: MapType.STACK }));
  }
}

/** A bloom filter (`BPF_MAP_TYPE_BLOOM_FILTER`): `add` values, `has` answers "maybe" or "no". */
export class BloomFilter<V> extends MapWrapper<never, V> {
  /** Creates the filter; `hashes` (1..15, default 5) goes in `map_extra`. */
  static create<V>(o: KeylessOptions<V> & { hashes?: number }): BloomFilter<V> {
    return new BloomFilter(
      BpfMap.create<never, V>({ ...o, mapExtra: o.hashes ?? 0, type: MapType.BLOOM_FILTER }),
    );
  }

  /**
   * Wraps an existing bloom filter map (one opened by id, pin or fd, or a collection's).
   * @throws MapTypeError for a map of another type
   */
  static wrap<V>(map: BpfMap<never, V>): BloomFilter<V> {
    if (map.type !== MapType.BLOOM_FILTER)
      throw new MapTypeError(
        'BloomFilter.wrap',
        map.label(),
        `a ${mapTypeName(map.type)} map is not a bloom filter: add and has need one`,
      );
    return new BloomFilter(map);
  }

  /** Adds `value`. */
  add(value: V): void {
    this.map.pushRaw(value);
  }

  /** False when `value` was certainly never added; true when it may have been. */
  has(value: V): boolean {
    return mapLookupElem(this.map.fd, null, this.map.encodeValue(value));
  }
}
