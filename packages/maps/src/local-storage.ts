import { BpfMapCreateFlag, btfLoad, close } from '@ts-ebpf/syscall';
import { btfBlob } from './btf-blob.js';
import type { Codec } from './codecs/codec.js';
import { i32 } from './codecs/scalars.js';
import { BpfMap } from './map.js';
import type { MapPinning } from './map-spec.js';
import { MapType } from './map-types.js';

/**
 * A minimal BTF blob for a map whose key is `int` (type 1) and whose value is
 * `struct value { unsigned char data[size]; }` (type 4): what local-storage maps
 * need when no program BTF is at hand.
 */
export function storageBtf(valueSize: number): { btf: Uint8Array; keyTypeId: number; valueTypeId: number } {
  // biome-ignore format: one BTF type record per line
  const types = new Uint32Array([
    1, 1 << 24, 4, (1 << 24) | 32, // [1] int: signed, 32 bits
    5, 1 << 24, 1, 8, // [2] char: unsigned, 8 bits
    0, 3 << 24, 0, 2, 1, valueSize, // [3] char[valueSize] indexed by int
    10, (4 << 24) | 1, valueSize, 16, 3, 0, // [4] struct value { data @0 }
  ]);
  return { btf: btfBlob(types, '\0int\0char\0value\0data\0'), keyTypeId: 1, valueTypeId: 4 };
}

/** Options of local-storage maps. */
export interface LocalStorageOptions<V> {
  value: Codec<V>;
  name?: string;
  flags?: number;
  pinning?: MapPinning;
}

function localStorage(type: number) {
  return {
    /**
     * Creates the map with a generated BTF description of `int` keys and `value.size`-byte
     * values. Keys are fds: a socket (sk), pidfd (task), open file (inode) or cgroup directory (cgrp).
     */
    create<V>(o: LocalStorageOptions<V>): BpfMap<number, V> {
      const { btf, keyTypeId, valueTypeId } = storageBtf(o.value.size);
      const btfFd = btfLoad({ btf, logSize: 0 });
      try {
        return BpfMap.create<number, V>({
          ...o,
          key: i32,
          maxEntries: 0,
          flags: (o.flags ?? 0) | BpfMapCreateFlag.NO_PREALLOC,
          btf: { fd: btfFd, keyTypeId, valueTypeId },
          type,
        });
      } finally {
        close(btfFd);
      }
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
