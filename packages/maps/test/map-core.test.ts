import { existsSync } from 'node:fs';
import { mapCreate, mapInfo, ObjectClosedError, possibleCpuCount } from '@ts-ebpf/syscall';
import { describeKernel, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  ArrayMap,
  BpfMap,
  CodecError,
  cstring,
  HashMap,
  LruHashMap,
  MapFrozenError,
  MapType,
  MapTypeError,
  PinnedMapMismatchError,
  perCpu,
  struct,
  Update,
  u32,
  u64,
} from '../src/index.js';

const pinPath = `/sys/fs/bpf/ts-ebpf-maps-test-${process.pid}`;

describeKernel('BpfMap core operations', () => {
  it('gets, sets, deletes and tests keys of a typed hash map', () => {
    using m = HashMap.create({
      key: u32,
      value: struct({ hits: u64, name: cstring(12) }),
      maxEntries: 16,
      name: 'core',
    });
    expect(m.type).toBe(MapType.HASH);
    expect(m.keySize).toBe(4);
    expect(m.valueSize).toBe(24);
    expect(m.get(1)).toBeUndefined();
    expect(m.has(1)).toBe(false);
    m.set(1, { hits: 5n, name: 'one' });
    expect(m.get(1)).toEqual({ hits: 5n, name: 'one' });
    expect(m.has(1)).toBe(true);
    expect(() => m.set(1, { hits: 6n, name: 'x' }, Update.NOEXIST)).toThrow(/EEXIST/);
    expect(() => m.set(2, { hits: 6n, name: 'x' }, Update.EXIST)).toThrow(/ENOENT/);
    m.set(1, { hits: 6n, name: 'uno' }, Update.EXIST);
    expect(m.get(1)?.hits).toBe(6n);
    expect(m.getAndDelete(1)).toEqual({ hits: 6n, name: 'uno' });
    expect(m.getAndDelete(1)).toBeUndefined();
    m.set(3, { hits: 1n, name: 'c' });
    expect(m.delete(3)).toBe(true);
    expect(m.delete(3)).toBe(false);
    expect(() => m.set(4, { hits: 1, name: 'c' } as never)).toThrow(CodecError);
    expect(() => m.set(4, { hits: 1n, name: 'c' } as never)).not.toThrow();
    expect(m.info().name).toBe('core');
  });

  it('iterates, counts and clears hash and array maps', () => {
    using h = LruHashMap.create({ key: u32, value: u32, maxEntries: 2000 });
    for (let i = 0; i < 1000; i++) h.set(i, i * 2);
    expect(h.count()).toBe(1000);
    const seen = new Map(h.entries());
    expect(seen.size).toBe(1000);
    expect(seen.get(999)).toBe(1998);
    expect([...h.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...h.values()].reduce((a, b) => a + b, 0)).toBe(999 * 1000);
    expect(h.clear()).toBe(1000);
    expect(h.count()).toBe(0);
    using a = ArrayMap.create({ value: u64, maxEntries: 4 });
    a.set(2, 7n);
    expect([...a]).toEqual([
      [0, 0n],
      [1, 0n],
      [2, 7n],
      [3, 0n],
    ]);
    expect(a.count()).toBe(4);
    a.clear();
    expect(a.get(2)).toBe(0n);
    expect(() => a.delete(0)).toThrow(MapTypeError);
    expect(() => a.delete(0)).toThrow(/slots cannot be deleted/);
  });

  it('freezes: user space can no longer write', () => {
    using a = ArrayMap.create({ value: u32, maxEntries: 1 });
    a.set(0, 1);
    a.freeze();
    expect(() => a.set(0, 2)).toThrow(MapFrozenError);
    expect(() => a.set(0, 2)).toThrow(/is frozen/);
    expect(a.get(0)).toBe(1);
  });

  it('pins, reopens by pin, id and fd, and unpins', () => {
    const m = HashMap.create({ key: u32, value: u32, maxEntries: 4, pinning: { path: pinPath } });
    try {
      m.set(7, 49);
      expect(existsSync(pinPath)).toBe(true);
      using again = HashMap.create({ key: u32, value: u32, maxEntries: 4, pinning: { path: pinPath } });
      expect(again.get(7)).toBe(49);
      using byPin = BpfMap.fromPin(pinPath, { key: u32, value: u32 });
      expect(byPin.get(7)).toBe(49);
      using byId = BpfMap.fromId(m.info().id);
      expect(byId.type).toBe(MapType.HASH);
      expect(byId.get(new Uint8Array([7, 0, 0, 0]) as never)).toEqual(new Uint8Array([49, 0, 0, 0]));
    } finally {
      m.unpin();
      m.close();
    }
    expect(existsSync(pinPath)).toBe(false);
  });

  it('reuses a pin only when it is the map the spec describes', () => {
    const spec = { key: u32, value: u32, maxEntries: 4, pinning: { path: pinPath } };
    using m = HashMap.create(spec);
    try {
      const before = openFds().size;
      const err = (() => {
        try {
          HashMap.create({ ...spec, maxEntries: 8, flags: 1 /* BPF_F_NO_PREALLOC */ });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(PinnedMapMismatchError);
      expect((err as PinnedMapMismatchError).mismatches).toEqual([
        { field: 'maxEntries', pinned: 4, wanted: 8 },
        { field: 'mapFlags', pinned: 0, wanted: 1 },
      ]);
      expect(() => ArrayMap.create({ ...spec })).toThrow(/type hash \(spec: array\)/);
      // the sizes are compared before the codecs are fitted
      expect(() => HashMap.create({ ...spec, value: u64 })).toThrow(/valueSize 4 \(spec: 8\)/);
      // reuse: false creates a new map, which cannot take the existing pin (and is closed)
      expect(() => HashMap.create({ ...spec, pinning: { path: pinPath, reuse: false } })).toThrow(
        /EEXIST: something is pinned there already/,
      );
      expect(openFds().size).toBe(before);
      using same = HashMap.create(spec);
      expect(same.info().id).toBe(m.info().id);
    } finally {
      m.unpin();
    }
    // flags as the kernel keeps them: read-only belongs to the creating fd (not kept), and
    // devmaps always get BPF_F_RDONLY_PROG; both specs reuse their own pins
    for (const flagged of [
      { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: 8 /* BPF_F_RDONLY */ },
      { type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 2 },
    ]) {
      using first = BpfMap.create({ ...flagged, pinning: { path: pinPath } });
      try {
        using again = BpfMap.create({ ...flagged, pinning: { path: pinPath } });
        expect(again.info().id).toBe(first.info().id);
      } finally {
        first.unpin();
      }
    }
  });

  it('close is idempotent and later use throws ObjectClosedError', () => {
    const m = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
    const fd = m.fd;
    expect(fd).toBeGreaterThan(2);
    m.close();
    m.close();
    expect(m.closed).toBe(true);
    expect(() => m.get(1)).toThrow(ObjectClosedError);
    expect(() => m.set(1, 1)).toThrow(ObjectClosedError);
    expect(() => [...m.keys()]).toThrow(ObjectClosedError);
    expect(() => m.getBatch()).toThrow(ObjectClosedError);
    {
      using d = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
      expect(d.closed).toBe(false);
    }
  });

  it('rejects mismatched codecs and sizes', () => {
    expect(() =>
      BpfMap.create({ type: MapType.HASH, key: u32, keySize: 8, valueSize: 4, maxEntries: 1 }),
    ).toThrow(/key: codec u32 is 4 bytes but keySize is 8/);
    expect(() => BpfMap.create({ type: MapType.PERCPU_HASH, key: u32, value: u32, maxEntries: 1 })).toThrow(
      /perCpu/,
    );
    using raw = BpfMap.create({ type: MapType.HASH, keySize: 2, valueSize: 3, maxEntries: 1 });
    raw.set(new Uint8Array([1, 2]), new Uint8Array([3, 4, 5]));
    expect(raw.get(new Uint8Array([1, 2]))).toEqual(new Uint8Array([3, 4, 5]));
    // a per-CPU map opened with perCpu(...) reads and writes one value per possible CPU
    using pc = BpfMap.create({ type: MapType.PERCPU_ARRAY, key: u32, value: perCpu(u64), maxEntries: 1 });
    const cpus = possibleCpuCount();
    using opened = BpfMap.fromId(pc.info().id, { key: u32, value: perCpu(u64) });
    const typed: BpfMap<number, bigint[]> = opened;
    typed.set(
      0,
      Array.from({ length: cpus }, (_, i) => BigInt(i + 5)),
    );
    expect(pc.get(0)).toEqual(Array.from({ length: cpus }, (_, i) => BigInt(i + 5)));
    // opening with codecs that do not fit throws, and closes the fd it was given
    const fd = mapCreate({ mapType: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => BpfMap.fromFd(fd, { key: u32, value: u64 })).toThrow(/value: codec u64 is 8 bytes/);
    expect(() => mapInfo(fd)).toThrow(/EBADF/);
  });
});
