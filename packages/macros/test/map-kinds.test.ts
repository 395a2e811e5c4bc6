// Map types a definition could not describe before: local storage (maxEntries 0), arenas (no
// value), maps of maps (an inner map template). Each is created by a script, and leaves no fd.

import { HashMap, MapCreateError, MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfMapCreateFlag, close, fdTarget, pidfdOpen, probeMapType } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { defineMap, ScriptError, script } from '../src/index.js';

const NO_PREALLOC = BpfMapCreateFlag.NO_PREALLOC;

describeKernel('macros: local storage, arena and map-of-maps definitions', () => {
  it('a task storage defined without maxEntries gets 0, and a script creates it (BTF generated, closed)', () => {
    const tasks = defineMap({ type: MapType.TASK_STORAGE, key: u32, value: u64, flags: NO_PREALLOC });
    expect(tasks.spec.maxEntries).toBe(0);
    const before = openFds();
    const self = pidfdOpen(process.pid);
    try {
      using s = script({ maps: { tasks } });
      const m = s.maps.tasks;
      expect(m.info()).toMatchObject({ type: MapType.TASK_STORAGE, maxEntries: 0, keySize: 4, valueSize: 8 });
      // the map is the script's one new BPF fd: the BTF loaded to create it is closed
      expect(leakedFds(before).filter((l) => !l.startsWith(`${self} `))).toEqual([
        `${m.fd} -> ${fdTarget(m.fd)}`,
      ]);
      m.set(self, 42n);
      expect(m.get(self)).toBe(42n);
    } finally {
      close(self);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('maxEntries 0 is taken for local storage', () => {
    const sockets = defineMap({
      type: MapType.SK_STORAGE,
      key: u32,
      value: u32,
      maxEntries: 0,
      flags: NO_PREALLOC,
    });
    const before = openFds();
    {
      using s = script({ maps: { sockets } });
      expect(s.maps.sockets.info()).toMatchObject({ type: MapType.SK_STORAGE, maxEntries: 0 });
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('an arena is defined without a key or a value, and created where the kernel makes arenas', () => {
    const heap = defineMap({ type: MapType.ARENA, maxEntries: 2, flags: BpfMapCreateFlag.MMAPABLE });
    expect(heap.spec).toMatchObject({ type: MapType.ARENA, valueSize: 0, maxEntries: 2 });
    expect(heap.spec.key).toBeUndefined();
    expect(heap.spec.value).toBeUndefined();
    const before = openFds();
    if (probeMapType(MapType.ARENA).supported) {
      using s = script({ maps: { heap } });
      expect(s.maps.heap.info()).toMatchObject({ type: MapType.ARENA, maxEntries: 2, valueSize: 0 });
    } else {
      // this kernel creates no arena for anyone: said so, not "value is missing"
      const e = thrownBy(() => script({ maps: { heap } }));
      expect(e).toBeInstanceOf(ScriptError);
      expect((e as ScriptError).cause).toBeInstanceOf(MapCreateError);
      expect((e as Error).message).toContain('creates no arena map at all');
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('a hash of maps with an inner map template holds maps like it', () => {
    const before = openFds();
    {
      using template = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
      const tables = defineMap({ type: MapType.HASH_OF_MAPS, key: u32, value: u32, innerMap: template });
      using s = script({ maps: { tables } });
      using inner = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
      s.maps.tables.set(7, inner.fd);
      // written as an fd, read back as the inner map's id
      expect(s.maps.tables.get(7)).toBe(inner.info().id);
      expect(s.maps.tables.info()).toMatchObject({ type: MapType.HASH_OF_MAPS, valueSize: 4 });
    }
    expect(leakedFds(before)).toEqual([]);
  });
});
