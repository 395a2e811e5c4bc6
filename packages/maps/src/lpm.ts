import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { u32 } from './codecs/scalars.js';
import { struct } from './codecs/struct.js';
import { BpfMap } from './map.js';
import { MapType } from './map-types.js';
import type { CommonOptions } from './wrappers.js';

/** A longest-prefix-match key: the first `prefixLen` bits of `addr` matter. */
export interface LpmKey<A> {
  prefixLen: number;
  addr: A;
}

/** The codec of `struct bpf_lpm_trie_key { __u32 prefixlen; __u8 data[]; }` with `addr` as data. */
export function lpmKey<A>(addr: Codec<A>): Codec<LpmKey<A>> {
  return struct({ prefixLen: u32, addr }, { packed: true }) as Codec<LpmKey<A>>;
}

/** `BPF_MAP_TYPE_LPM_TRIE` keyed by `{ prefixLen, addr }` (e.g. `addr: ipv4`). */
export const LpmTrie = {
  /** Creates a trie (`BPF_F_NO_PREALLOC` is always set, as the kernel requires). */
  create<A, V>(o: CommonOptions & { addr: Codec<A>; value: Codec<V> }): BpfMap<LpmKey<A>, V> {
    return BpfMap.create<LpmKey<A>, V>({
      ...o,
      key: lpmKey(o.addr),
      flags: (o.flags ?? 0) | BpfMapCreateFlag.NO_PREALLOC,
      type: MapType.LPM_TRIE,
    });
  },

  /** The value of the longest prefix containing `addr` (a lookup with a full-length prefix). */
  lookup<A, V>(map: BpfMap<LpmKey<A>, V>, addr: A): V | undefined {
    return map.get({ prefixLen: (map.keySize - 4) * 8, addr });
  },
};
