import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { ArrayMap, HashMap, MapTypeError, QueueMap, u32 } from '../src/index.js';

describeKernel('BpfMap.nextKey', () => {
  it('walks a hash map from nextKey() to undefined, as keys() does', () => {
    using m = HashMap.create({ key: u32, value: u32, maxEntries: 8, name: 'walk' });
    expect(m.nextKey()).toBeUndefined();
    for (const k of [3, 1, 4, 15]) m.set(k, k * 2);
    const seen: number[] = [];
    for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) seen.push(k);
    expect(seen).toEqual([...m.keys()]);
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 3, 4, 15]);
    // a key the map does not hold: the kernel starts again from the first key
    expect(m.nextKey(99)).toBe(seen[0]);
  });

  it('steps through an array by index, undefined after the last', () => {
    using a = ArrayMap.create({ value: u32, maxEntries: 3 });
    expect(a.nextKey()).toBe(0);
    expect(a.nextKey(0)).toBe(1);
    expect(a.nextKey(2)).toBeUndefined();
    expect(a.nextKey(100)).toBe(0);
  });

  it('refuses a map without keys', () => {
    using q = QueueMap.create({ value: u32, maxEntries: 2 });
    expect(() => q.map.nextKey()).toThrow(MapTypeError);
    expect(() => q.map.nextKey()).toThrow(/nextKey on .*queue maps have no keys/);
  });
});
