import { BpfMap, type MapCodecs } from '@ts-ebpf/maps';
import { dupFd } from '@ts-ebpf/syscall';
import type { RawMap } from './create-maps.js';

/** One typed view, with the codecs it was made for. */
interface View {
  readonly codecs: MapCodecs<unknown, unknown>;
  readonly map: BpfMap<unknown, unknown>;
}

/**
 * The typed views of a collection's maps (`collection.map(name, { key, value })`): each a
 * `BpfMap` over its own duplicate of the map's descriptor, closed with the collection. A view is
 * made once per map and pair of codec objects: asking again with the same codecs gives the same
 * view, so a lookup in a loop does not open a descriptor a turn.
 */
export class TypedMapViews {
  readonly #views = new Map<string, View[]>();

  /**
   * The view of `raw` (the map called `name`) through `codecs`.
   * @throws CodecError naming the map when a codec does not fit its key or value size
   */
  get<K, V>(name: string, raw: RawMap, codecs: MapCodecs<K, V>): BpfMap<K, V> {
    const views = this.#views.get(name) ?? [];
    const held = views.find((v) => v.codecs.key === codecs.key && v.codecs.value === codecs.value);
    if (held) return held.map as BpfMap<K, V>;
    const map = BpfMap.fromFd(dupFd(raw.fd), codecs);
    views.push({ codecs: { key: codecs.key, value: codecs.value }, map: map as BpfMap<unknown, unknown> });
    this.#views.set(name, views);
    return map;
  }

  /** Every view made, once: the collection closes them before its maps. */
  *drain(): Generator<{ close(): void }> {
    for (const views of this.#views.values()) for (const v of views) yield v.map;
    this.#views.clear();
  }
}
