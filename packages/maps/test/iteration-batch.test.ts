import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  ArrayMap,
  type BatchCursor,
  type BpfMap,
  HashMap,
  HashOfMaps,
  ipv4,
  LpmTrie,
  PerCpuArrayMap,
  PerCpuHashMap,
  perCpu,
  type RawBatchResult,
  sum,
  u32,
  u64,
} from '../src/index.js';

function allBatches<K, V>(m: BpfMap<K, V>, chunk: number): [K, V][] {
  const out: [K, V][] = [];
  let cursor: BatchCursor | null = null;
  for (;;) {
    const r = m.getBatch(cursor, chunk);
    r.keys.forEach((k, i) => {
      out.push([k, r.values[i]!]);
    });
    if (r.done) return out;
    cursor = r.cursor;
  }
}

const byKey = <V>(a: [number, V][]) => [...a].sort((x, y) => x[0] - y[0]);

describeKernel('iteration and batch operations', () => {
  it('hash iteration visits every surviving key once while keys are deleted under it', () => {
    using m = HashMap.create({ key: u32, value: u32, maxEntries: 4096 });
    for (let i = 0; i < 3000; i++) m.set(i, i);
    const seen = new Set<number>();
    let n = 0;
    for (const k of m.keys()) {
      expect(seen.has(k)).toBe(false);
      seen.add(k);
      // Delete the key just returned and another one ahead of us.
      m.delete(k);
      if (n++ % 2 === 0) m.delete(2999 - k);
    }
    for (let i = 0; i < 3000; i++) if (!seen.has(i)) expect(seen.has(2999 - i)).toBe(true);
  });

  it('key walks (no batch) restart after a deleted key without repeating keys', () => {
    // LPM tries have no batch lookups: their iteration uses get_next_key, which returns the
    // first key again when the previous one was deleted.
    using t = LpmTrie.create({ addr: ipv4, value: u32, maxEntries: 512 });
    for (let i = 0; i < 200; i++) t.set({ prefixLen: 32, addr: `10.0.${i >> 8}.${i & 255}` }, i);
    const seen: number[] = [];
    for (const [k, v] of t.entries()) {
      seen.push(v);
      t.delete(k);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(t.count()).toBe(0);
    using inner = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
    using hom = HashOfMaps.create({ inner, key: u32, maxEntries: 64 });
    for (let i = 0; i < 12; i++) hom.set(i, inner);
    const keys: number[] = [];
    for (const k of hom.map.keys()) {
      keys.push(k);
      hom.delete(k);
      if (k + 1 < 12) hom.delete(k + 1 === 6 ? 7 : k + 1);
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect(hom.map.count()).toBe(0);
  });

  it('batch lookups equal single lookups (hash, array), with cursors and ENOENT at the end', () => {
    using h = HashMap.create({ key: u32, value: u64, maxEntries: 10_000 });
    const keys = Array.from({ length: 5000 }, (_, i) => i * 7);
    const values = keys.map((k) => BigInt(k) * 3n);
    expect(h.setBatch(keys, values)).toBe(5000);
    const batched = byKey(allBatches(h, 100));
    expect(batched).toHaveLength(5000);
    for (const [k, v] of batched) expect(h.get(k)).toBe(v);
    const r = h.getBatch(null, 10_000);
    expect(r.done).toBe(true);
    expect(r.cursor).toBeNull();
    expect(r.keys).toHaveLength(5000);
    // the raw form: the same entries, in the same order, as the kernel's bytes
    const raw = h.getBatchBytes(null, 10_000);
    expect(raw).toMatchObject({ count: 5000, done: true, cursor: null });
    expect(raw.keys.byteLength).toBe(5000 * 4);
    expect(raw.values.byteLength).toBe(5000 * 8);
    const kv = new DataView(raw.keys.buffer);
    const vv = new DataView(raw.values.buffer);
    expect(Array.from({ length: 5000 }, (_, i) => kv.getUint32(i * 4, true))).toEqual(r.keys);
    expect(Array.from({ length: 5000 }, (_, i) => vv.getBigUint64(i * 8, true))).toEqual(r.values);
    const part = h.getBatchBytes(null, 100);
    expect(part.done).toBe(false);
    expect(h.getBatchBytes(part.cursor, 10_000).count + part.count).toBe(5000);
    // refilling one result: the same entries, in the first chunk's storage, grown at most once
    // (to the requested count, if a later chunk is longer)
    let into: RawBatchResult | undefined;
    const refilled: number[] = [];
    const keyStorage = new Set<ArrayBufferLike>();
    const valueStorage = new Set<ArrayBufferLike>();
    let chunks = 0;
    for (let cursor: BatchCursor | null = null; ; cursor = into.cursor) {
      into = h.getBatchBytes(cursor, 700, { into });
      chunks++;
      keyStorage.add(into.keys.buffer);
      valueStorage.add(into.values.buffer);
      expect([into.keys.byteLength, into.values.byteLength]).toEqual([into.count * 4, into.count * 8]);
      const kv2 = new DataView(into.keys.buffer);
      for (let i = 0; i < into.count; i++) refilled.push(kv2.getUint32(i * 4, true));
      if (into.done) break;
    }
    expect(refilled).toEqual(r.keys);
    expect(chunks).toBeGreaterThanOrEqual(8);
    expect(keyStorage.size).toBeLessThanOrEqual(2);
    expect(valueStorage.size).toBeLessThanOrEqual(2);
    expect(h.deleteBatch(keys.slice(0, 1000))).toBe(1000);
    expect(h.count()).toBe(4000);
    let taken = 0;
    for (;;) {
      const t = h.getAndDeleteBatch(null, 512);
      taken += t.keys.length;
      for (let i = 0; i < t.keys.length; i++) expect(t.values[i]).toBe(BigInt(t.keys[i]!) * 3n);
      if (t.done) break;
    }
    expect(taken).toBe(4000);
    expect(h.count()).toBe(0);
    using a = ArrayMap.create({ value: u32, maxEntries: 300 });
    a.setBatch([1, 2, 299], [10, 20, 2990]);
    const all = allBatches(a, 64);
    expect(all).toHaveLength(300);
    expect(all[299]).toEqual([299, 2990]);
    expect(all.map(([k, v]) => a.get(k) === v).every(Boolean)).toBe(true);
  });

  it('per-CPU maps: one value per possible CPU, batch equal to single', () => {
    using p = PerCpuHashMap.create({ key: u32, value: u32, maxEntries: 64 });
    const cpus = perCpu(u32).cpus;
    const v = (k: number) => Array.from({ length: cpus }, (_, c) => k * 100 + c);
    for (let k = 0; k < 20; k++) p.set(k, v(k));
    expect(p.get(3)).toEqual(v(3));
    expect(sum(p.get(3)!)).toBe(v(3).reduce((a, b) => a + b, 0));
    const batched = byKey(allBatches(p, 7));
    expect(batched).toEqual(Array.from({ length: 20 }, (_, k) => [k, v(k)]));
    using pa = PerCpuArrayMap.create({ value: u64, maxEntries: 8 });
    pa.setBatch([0, 5], [Array(cpus).fill(1n), Array.from({ length: cpus }, (_, c) => BigInt(c))]);
    expect(pa.get(5)).toEqual(Array.from({ length: cpus }, (_, c) => BigInt(c)));
    for (const [k, vals] of pa.entries()) expect(pa.get(k)).toEqual(vals);
    expect(() => p.set(1, [1])).toThrow(/one value per possible CPU/);
  });

  it('falls back to single operations where the kernel refuses batches', () => {
    using t = LpmTrie.create({ addr: ipv4, value: u32, maxEntries: 64 });
    expect(
      t.setBatch(
        [
          { prefixLen: 8, addr: '10.0.0.0' },
          { prefixLen: 16, addr: '10.1.0.0' },
        ],
        [8, 16],
      ),
    ).toBe(2);
    expect(LpmTrie.lookup(t, '10.1.2.3')).toBe(16);
    expect(LpmTrie.lookup(t, '10.2.2.3')).toBe(8);
    expect(LpmTrie.lookup(t, '11.0.0.1')).toBeUndefined();
    const first = t.getBatch(null, 1);
    expect(first.keys).toHaveLength(1);
    const second = t.getBatch(first.cursor, 5);
    expect(second.keys).toHaveLength(1);
    expect(second).toMatchObject({ done: true, cursor: null });
    // raw bytes through the fallback: the key struct { u32 prefixlen; u8 addr[4] } as the kernel has it
    const raw = t.getBatchBytes(null, 5);
    expect(raw.count).toBe(2);
    expect([...raw.keys]).toEqual(
      first.keys[0]!.prefixLen === 8
        ? [8, 0, 0, 0, 10, 0, 0, 0, 16, 0, 0, 0, 10, 1, 0, 0]
        : [16, 0, 0, 0, 10, 1, 0, 0, 8, 0, 0, 0, 10, 0, 0, 0],
    );
    expect(new DataView(raw.values.buffer).getUint32(0, true)).toBe(first.keys[0]!.prefixLen);
    expect(t.deleteBatch([{ prefixLen: 8, addr: '10.0.0.0' }])).toBe(1);
    expect(t.count()).toBe(1);
    // LPM tries have no lookup-and-delete: the fallback looks up, then deletes.
    expect(t.getAndDeleteBatch(null, 10)).toMatchObject({
      keys: [{ prefixLen: 16, addr: '10.1.0.0' }],
      values: [16],
      done: true,
    });
    expect(t.count()).toBe(0);
  });
});
