// Map definitions that cannot work, refused by defineMap when they are defined: each used to pass
// it and fail when a script created the map (a bare EINVAL, or an error that did not name the
// option).

import { bytes, type Codec, MapSpecError, MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import { DefinitionError, defineMap } from '../src/index.js';

const NO_PREALLOC = BpfMapCreateFlag.NO_PREALLOC;

describe('macros: map definitions the kernel would refuse (no kernel needed)', () => {
  catalog([
    {
      what: "a key that is not a codec (the string 'u32', untyped caller)",
      act: () => defineMap({ name: 'flows', key: 'u32' as unknown as Codec<number>, value: u64 }),
      error: DefinitionError,
      names: ["map 'flows'", "key is the string 'u32', not a codec", 'keySize'],
    },
    {
      what: 'a value that is not a codec (an object with a size only, untyped caller)',
      act: () => defineMap({ name: 'flows', key: u32, value: { size: 8 } as unknown as Codec<bigint> }),
      error: DefinitionError,
      names: ["map 'flows'", 'value is an object without read(), write() and a size, not a codec'],
    },
    {
      what: 'zero entries for a hash map',
      act: () => defineMap({ name: 'empty', key: u32, value: u64, maxEntries: 0 }),
      error: MapSpecError,
      names: ["map 'empty'", 'maxEntries is 0'],
    },
    {
      what: 'entries for a local-storage map',
      act: () =>
        defineMap({ type: MapType.TASK_STORAGE, key: u32, value: u64, maxEntries: 8, flags: NO_PREALLOC }),
      error: MapSpecError,
      names: ['maxEntries is 8', 'task_storage maps are created with 0'],
    },
    {
      what: 'an array with an 8-byte key',
      act: () => defineMap({ name: 'slots', type: MapType.ARRAY, key: u64, value: u64 }),
      error: MapSpecError,
      names: ["map 'slots'", 'keySize is 8', '4-byte keys'],
    },
    {
      what: 'a prog array with 8-byte values',
      act: () => defineMap({ name: 'jumps', type: MapType.PROG_ARRAY, key: u32, value: u64 }),
      error: MapSpecError,
      names: ["map 'jumps'", 'valueSize is 8', 'prog_array', '4 bytes, an fd'],
    },
    {
      what: 'a perf event array with 8-byte values',
      act: () => defineMap({ name: 'events', type: MapType.PERF_EVENT_ARRAY, key: u32, value: u64 }),
      error: MapSpecError,
      names: ["map 'events'", 'valueSize is 8'],
    },
    {
      what: 'a devmap with 16-byte values',
      act: () => defineMap({ name: 'ports', type: MapType.DEVMAP, key: u32, value: bytes(16) }),
      error: MapSpecError,
      names: ["map 'ports'", 'valueSize is 16', '4 or 8 bytes'],
    },
    {
      what: 'an LPM trie without BPF_F_NO_PREALLOC',
      act: () => defineMap({ name: 'routes', type: MapType.LPM_TRIE, keySize: 8, value: u32 }),
      error: MapSpecError,
      names: ["map 'routes'", 'BPF_F_NO_PREALLOC'],
    },
    {
      what: 'a hash of maps without an inner map',
      act: () => defineMap({ name: 'tables', type: MapType.HASH_OF_MAPS, key: u32, value: u32 }),
      error: MapSpecError,
      names: ["map 'tables'", 'innerMap is missing'],
    },
    {
      what: 'an inner map for a map that holds no maps',
      act: () => defineMap({ name: 'flows', key: u32, value: u64, innerMap: { fd: 0 } }),
      error: DefinitionError,
      names: ["map 'flows'", 'innerMap is given', 'hash maps hold no maps'],
    },
    {
      what: 'an inner map that is not a map (untyped caller)',
      act: () => defineMap({ type: MapType.ARRAY_OF_MAPS, key: u32, value: u32, innerMap: {} as never }),
      error: DefinitionError,
      names: ['innerMap is an object without an fd, not a map'],
    },
    {
      what: 'a struct_ops map',
      act: () => defineMap({ name: 'ops', type: MapType.STRUCT_OPS, key: u32, valueSize: 8 }),
      error: DefinitionError,
      names: ["map 'ops'", 'type is struct_ops', 'structOps option', 'StructOpsMap.create'],
    },
  ]);
});
