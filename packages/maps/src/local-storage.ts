import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { i32 } from './codecs/scalars.js';
import { BpfMap } from './map.js';
import type { MapPinning, MapTokenOption } from './map-spec.js';
import { MapType } from './map-types.js';

/** Options of local-storage maps. */
export interface LocalStorageOptions<V> extends MapTokenOption {
  value: Codec<V>;
  name?: string;
  flags?: number;
  pinning?: MapPinning;
}

function localStorage(type: number) {
  return {
    /**
     * Creates the map (`BPF_F_NO_PREALLOC` added to the flags), its `int` keys and
     * `value.size`-byte values described by a generated BTF. Keys are fds: a socket (sk), pidfd
     * (task), open file (inode) or cgroup directory (cgrp).
     */
    create<V>(o: LocalStorageOptions<V>): BpfMap<number, V> {
      return BpfMap.create<number, V>({
        ...o,
        key: i32,
        maxEntries: 0,
        flags: (o.flags ?? 0) | BpfMapCreateFlag.NO_PREALLOC,
        type,
      });
    },
  };
}

/** `BPF_MAP_TYPE_SK_STORAGE`: socket fd → V. */
export const SkStorage = localStorage(MapType.SK_STORAGE);
/** `BPF_MAP_TYPE_TASK_STORAGE`: pidfd → V. */
export const TaskStorage = localStorage(MapType.TASK_STORAGE);
/** `BPF_MAP_TYPE_INODE_STORAGE`: file fd → V (programs reach it from BPF LSM hooks). */
export const InodeStorage = localStorage(MapType.INODE_STORAGE);
/** `BPF_MAP_TYPE_CGRP_STORAGE`: cgroup directory fd → V. */
export const CgrpStorage = localStorage(MapType.CGRP_STORAGE);
