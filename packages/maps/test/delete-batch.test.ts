import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { batchRefused } from '../src/batch.js';
import { deleteAllInBatches } from '../src/batch-lookup.js';
import {
  ArrayMap,
  type BpfMap,
  DevMapHash,
  HashMap,
  ipv4,
  type LpmKey,
  LpmTrie,
  LruHashMap,
  MapFrozenError,
  MapTypeError,
  PerCpuHashMap,
  perCpu,
  u32,
} from '../src/index.js';

// Keys 1..5 are in the map; 100 is not. The kernel deletes in order and stops at the first
// missing key: the count is the keys before it, and the keys after it stay.
const scenarios: { name: string; keys: number[]; deleted: number; left: number[] }[] = [
  { name: 'all present', keys: [1, 2, 3], deleted: 3, left: [4, 5] },
  { name: 'missing first', keys: [100, 1, 2], deleted: 0, left: [1, 2, 3, 4, 5] },
  { name: 'missing in the middle', keys: [1, 2, 100, 3, 4], deleted: 2, left: [3, 4, 5] },
  { name: 'missing last', keys: [1, 2, 3, 100], deleted: 3, left: [4, 5] },
  { name: 'a key twice (gone the second time)', keys: [3, 4, 3, 5], deleted: 2, left: [1, 2, 5] },
  { name: 'the issue: deleteBatch([3, 100])', keys: [3, 100], deleted: 1, left: [1, 2, 4, 5] },
];

// One map with keys 1..5, seen through numbers whatever its key type.
interface Filled extends Disposable {
  deleteBatch(keys: number[]): number;
  left(): number[];
  /** True when the kernel refused BPF_MAP_DELETE_BATCH and single deletes stood in. */
  fellBack(): boolean;
}

const present = [1, 2, 3, 4, 5];
const sorted = (a: Iterable<number>) => [...a].sort((x, y) => x - y);

function numbered<V>(m: BpfMap<number, V>, value: (k: number) => V): Filled {
  for (const k of present) m.set(k, value(k));
  return {
    deleteBatch: (keys) => m.deleteBatch(keys),
    left: () => sorted(m.keys()),
    fellBack: () => batchRefused(m as BpfMap<unknown, unknown>, 'delete'),
    [Symbol.dispose]: () => m.close(),
  };
}

// An LPM trie keyed by 10.0.0.<n>/32.
function lpm(): Filled {
  const t = LpmTrie.create({ addr: ipv4, value: u32, maxEntries: 16 });
  const key = (n: number): LpmKey<string> => ({ prefixLen: 32, addr: `10.0.0.${n}` });
  for (const k of present) t.set(key(k), k);
  return {
    deleteBatch: (keys) => t.deleteBatch(keys.map(key)),
    left: () => sorted([...t.keys()].map((k) => Number(k.addr.split('.')[3]))),
    fellBack: () => batchRefused(t as BpfMap<unknown, unknown>, 'delete'),
    [Symbol.dispose]: () => t.close(),
  };
}

const cpus = perCpu(u32).cpus;
const LOOPBACK_IFINDEX = 1;
const kinds: { name: string; batch: boolean; create(): Filled }[] = [
  {
    name: 'hash',
    batch: true,
    create: () => numbered(HashMap.create({ key: u32, value: u32, maxEntries: 16 }), (k) => k),
  },
  {
    name: 'LRU hash',
    batch: true,
    create: () => numbered(LruHashMap.create({ key: u32, value: u32, maxEntries: 16 }), (k) => k),
  },
  {
    name: 'per-CPU hash',
    batch: true,
    create: () =>
      numbered(PerCpuHashMap.create({ key: u32, value: u32, maxEntries: 16 }), (k) => Array(cpus).fill(k)),
  },
  { name: 'LPM trie', batch: true, create: lpm },
  // the kernel has no batch commands for device hashes: single deletes stand in
  {
    name: 'device hash',
    batch: false,
    create: () => numbered(DevMapHash.create({ key: u32, maxEntries: 16 }), () => LOOPBACK_IFINDEX),
  },
];

describeKernel('deleteBatch stops at the first missing key and returns the count deleted', () => {
  for (const kind of kinds) {
    it(`${kind.name}: every scenario, on the ${kind.batch ? 'batch' : 'single-delete fallback'} path`, () => {
      for (const sc of scenarios) {
        using m = kind.create();
        expect(m.deleteBatch(sc.keys), sc.name).toBe(sc.deleted);
        expect(m.left(), sc.name).toEqual(sc.left);
        // the path this test claims is the path taken
        expect(m.fellBack(), sc.name).toBe(!kind.batch);
      }
    });
  }

  it('other failures still throw the map’s typed error naming the map', () => {
    using h = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'frozen_del' });
    h.set(1, 1);
    h.freeze();
    const frozen = (() => {
      try {
        h.deleteBatch([1]);
      } catch (e) {
        return e;
      }
    })();
    expect(frozen).toBeInstanceOf(MapFrozenError);
    expect((frozen as Error).message).toContain("'frozen_del'");
    expect(h.get(1)).toBe(1);
    using a = ArrayMap.create({ value: u32, maxEntries: 4, name: 'arr_del' });
    expect(() => a.deleteBatch([1])).toThrow(MapTypeError);
    expect(() => a.deleteBatch([1])).toThrow(/'arr_del'/);
  });

  it('an empty list deletes nothing', () => {
    using h = HashMap.create({ key: u32, value: u32, maxEntries: 4 });
    h.set(1, 1);
    expect(h.deleteBatch([])).toBe(0);
    expect(h.count()).toBe(1);
  });
});

describeKernel('deleteAllInBatches (the batch path of clear())', () => {
  it('removes every entry, several batches of `count`, and returns how many', () => {
    using h = HashMap.create({ key: u32, value: u32, maxEntries: 512 });
    for (let k = 0; k < 300; k++) h.set(k, k);
    const m = h as BpfMap<unknown, unknown>;
    expect(deleteAllInBatches(m, 64)).toBe(300);
    expect(h.count()).toBe(0);
    expect(batchRefused(m, 'lookupAndDelete')).toBe(false);
  });

  it('where the kernel refuses the command for the map type: undefined, remembered, nothing removed', () => {
    using t = LpmTrie.create({ addr: ipv4, value: u32, maxEntries: 16 });
    t.set({ prefixLen: 8, addr: '10.0.0.0' }, 8);
    t.set({ prefixLen: 16, addr: '10.1.0.0' }, 16);
    const m = t as BpfMap<unknown, unknown>;
    expect(batchRefused(m, 'lookupAndDelete')).toBe(false);
    expect(deleteAllInBatches(m, 64)).toBeUndefined();
    expect(batchRefused(m, 'lookupAndDelete')).toBe(true);
    expect(deleteAllInBatches(m, 64)).toBeUndefined();
    expect(t.count()).toBe(2);
    // clear() then removes them one at a time
    expect(t.clear()).toBe(2);
    expect(t.count()).toBe(0);
  });
});
