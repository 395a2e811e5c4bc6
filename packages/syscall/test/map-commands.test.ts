import { describeKernel } from '@ts-ebpf/test-utils';
import { afterEach, expect, it } from 'vitest';
import {
  BadFileDescriptorError,
  BpfArgumentError,
  BpfMapType,
  BpfMapUpdateFlag,
  close,
  InvalidArgumentError,
  mapCreate,
  mapDeleteBatch,
  mapDeleteElem,
  mapFreeze,
  mapGetNextKey,
  mapInfo,
  mapLookupAndDeleteBatch,
  mapLookupAndDeleteElem,
  mapLookupBatch,
  mapLookupElem,
  mapUpdateBatch,
  mapUpdateElem,
  NotFoundError,
  possibleCpuCount,
} from '../src/index.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const readU64 = (b: Uint8Array, at = 0) =>
  Number(new DataView(b.buffer, b.byteOffset).getBigUint64(at, true));

const open: number[] = [];
function hash(maxEntries = 64, type: number = BpfMapType.HASH, valueSize = 8): number {
  const fd = mapCreate({ mapType: type, keySize: 4, valueSize, maxEntries, mapName: 'test_map' });
  open.push(fd);
  return fd;
}
afterEach(() => {
  for (const fd of open.splice(0)) close(fd);
});

describeKernel('raw map commands', () => {
  it('create, update, lookup, delete and walk keys', () => {
    const fd = hash();
    for (let i = 0; i < 10; i++) mapUpdateElem(fd, u32(i), u64(i * 100));
    const out = new Uint8Array(8);
    expect(mapLookupElem(fd, u32(7), out)).toBe(true);
    expect(readU64(out)).toBe(700);
    expect(mapLookupElem(fd, u32(77), out)).toBe(false);
    expect(mapDeleteElem(fd, u32(7))).toBe(true);
    expect(mapDeleteElem(fd, u32(7))).toBe(false);
    const keys: number[] = [];
    let prev: Uint8Array | null = null;
    const next = new Uint8Array(4);
    while (mapGetNextKey(fd, prev, next)) {
      keys.push(new DataView(next.buffer).getUint32(0, true));
      prev = next.slice();
    }
    expect(keys.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9]);
  });

  it('refuses a buffer detached since the last call instead of passing its stale address', () => {
    const fd = hash();
    mapUpdateElem(fd, u32(1), u64(5));
    const key = u32(1);
    const out = new Uint8Array(8);
    expect(mapLookupElem(fd, key, out)).toBe(true);
    // the same buffers again take the cached path; then the value buffer is transferred away
    expect(mapLookupElem(fd, key, out)).toBe(true);
    structuredClone(out.buffer, { transfer: [out.buffer] });
    expect(out.length).toBe(0);
    expect(() => mapLookupElem(fd, key, out)).toThrow(/detached/);
  });

  it('honours BPF_NOEXIST and BPF_EXIST with the kernel errno', () => {
    const fd = hash();
    mapUpdateElem(fd, u32(1), u64(1), BpfMapUpdateFlag.NOEXIST);
    expect(() => mapUpdateElem(fd, u32(1), u64(2), BpfMapUpdateFlag.NOEXIST)).toThrow(/EEXIST/);
    expect(() => mapUpdateElem(fd, u32(2), u64(2), BpfMapUpdateFlag.EXIST)).toThrow(NotFoundError);
  });

  it('reports E2BIG for a full map and EINVAL for a bad create', () => {
    const fd = hash(2);
    mapUpdateElem(fd, u32(1), u64(1));
    mapUpdateElem(fd, u32(2), u64(1));
    expect(() => mapUpdateElem(fd, u32(3), u64(1))).toThrow(expect.objectContaining({ code: 'E2BIG' }));
    expect(() => mapCreate({ mapType: BpfMapType.HASH, keySize: 0, valueSize: 8, maxEntries: 1 })).toThrow(
      InvalidArgumentError,
    );
  });

  it('gives EBADF for a closed fd and a typed error before the call for a negative one', () => {
    const fd = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    close(fd);
    const err = (() => {
      try {
        mapLookupElem(fd, u32(0), new Uint8Array(4));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BadFileDescriptorError);
    expect(err).toMatchObject({ errno: 9, code: 'EBADF', syscall: 'bpf', command: 'BPF_MAP_LOOKUP_ELEM' });
    expect(() => mapLookupElem(-1, u32(0), new Uint8Array(4))).toThrow(BpfArgumentError);
    expect(() => mapCreate({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: -1 })).toThrow(
      BpfArgumentError,
    );
    expect(() =>
      mapCreate({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: 1, mapName: 'bad\0name' }),
    ).toThrow(BpfArgumentError);
  });

  it('reads map info back', () => {
    const fd = hash(32);
    expect(mapInfo(fd)).toMatchObject({
      type: BpfMapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 32,
      name: 'test_map',
    });
  });

  it('pops queues with lookup-and-delete and freezes maps', () => {
    const q = mapCreate({ mapType: BpfMapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 });
    open.push(q);
    mapUpdateElem(q, null, u64(11));
    mapUpdateElem(q, null, u64(22));
    const out = new Uint8Array(8);
    expect(mapLookupAndDeleteElem(q, null, out)).toBe(true);
    expect(readU64(out)).toBe(11);
    expect(mapLookupAndDeleteElem(q, null, out)).toBe(true);
    expect(mapLookupAndDeleteElem(q, null, out)).toBe(false);
    const fd = hash();
    mapUpdateElem(fd, u32(1), u64(1));
    mapFreeze(fd);
    expect(() => mapUpdateElem(fd, u32(2), u64(2))).toThrow(/EPERM/);
  });

  it('batch lookup walks the whole map with ENOENT at the end, as single lookups do', () => {
    const fd = hash(1024);
    const n = 300;
    const keys = new Uint8Array(n * 4);
    const values = new Uint8Array(n * 8);
    for (let i = 0; i < n; i++) {
      new DataView(keys.buffer).setUint32(i * 4, i, true);
      new DataView(values.buffer).setBigUint64(i * 8, BigInt(i * 3), true);
    }
    expect(mapUpdateBatch(fd, { keys, values, count: n })).toEqual({ count: n, done: false });
    const seen = new Map<number, number>();
    const outKeys = new Uint8Array(64 * 4);
    const outValues = new Uint8Array(64 * 8);
    let inBatch: Uint8Array | null = null;
    const outBatch = new Uint8Array(4);
    for (let calls = 0; calls < 100; calls++) {
      const r = mapLookupBatch(fd, { inBatch, outBatch, keys: outKeys, values: outValues, count: 64 });
      for (let i = 0; i < r.count; i++) {
        seen.set(new DataView(outKeys.buffer).getUint32(i * 4, true), readU64(outValues, i * 8));
      }
      if (r.done) break;
      inBatch = outBatch.slice();
    }
    expect(seen.size).toBe(n);
    const one = new Uint8Array(8);
    for (const [k, v] of seen) {
      expect(mapLookupElem(fd, u32(k), one)).toBe(true);
      expect(readU64(one)).toBe(v);
    }
    const del = mapDeleteBatch(fd, { keys: keys.subarray(0, 100 * 4), count: 100 });
    expect(del).toEqual({ count: 100, done: false });
    // the kernel stops at the first key the map does not hold: a result, not an error
    const again = new Uint8Array(3 * 4);
    again.set(keys.subarray(100 * 4, 102 * 4));
    again.set(keys.subarray(0, 4), 2 * 4); // deleted above
    expect(mapDeleteBatch(fd, { keys: again, count: 3 })).toEqual({ count: 2, done: true });
    expect(mapDeleteBatch(fd, { keys: keys.subarray(0, 4), count: 1 })).toEqual({ count: 0, done: true });
    const rest = mapLookupAndDeleteBatch(fd, {
      outBatch,
      keys: new Uint8Array(n * 4),
      values: new Uint8Array(n * 8),
      count: n,
    });
    expect(rest).toEqual({ count: 198, done: true });
    expect(mapGetNextKey(fd, null, new Uint8Array(4))).toBe(false);
  });

  it('per-CPU batch values hold one 8-byte-aligned slot per possible CPU', () => {
    const cpus = possibleCpuCount();
    const fd = mapCreate({ mapType: BpfMapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
    open.push(fd);
    const value = new Uint8Array(8 * cpus);
    for (let c = 0; c < cpus; c++) new DataView(value.buffer).setUint32(c * 8, 10 + c, true);
    mapUpdateElem(fd, u32(5), value);
    const keys = new Uint8Array(8 * 4);
    const values = new Uint8Array(8 * 8 * cpus);
    const r = mapLookupBatch(fd, { outBatch: new Uint8Array(4), keys, values, count: 8 });
    expect(r).toEqual({ count: 1, done: true });
    for (let c = 0; c < cpus; c++) expect(new DataView(values.buffer).getUint32(c * 8, true)).toBe(10 + c);
  });
});
