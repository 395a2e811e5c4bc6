import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { type BpfMap, HashMap, loadedMaps, mapIds, u32 } from '../src/index.js';

describeKernel('listing the maps of the machine', () => {
  it('lists maps this test created, by id and opened, leaving no descriptor open', () => {
    const before = openFds();
    {
      using a = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'listed_a' });
      using b = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'listed_b' });
      const mine = [a.info().id, b.info().id];
      const ids = [...mapIds()];
      expect(ids).toEqual(expect.arrayContaining(mine));
      const names = new Map<number, string>();
      const seen: BpfMap<unknown, unknown>[] = [];
      for (const m of loadedMaps()) {
        seen.push(m);
        // the previous one is closed once the loop moved on
        if (seen.length > 1) expect(seen.at(-2)!.closed).toBe(true);
        names.set(m.info().id, m.info().name);
      }
      expect(names.get(mine[0]!)).toBe('listed_a');
      expect(names.get(mine[1]!)).toBe('listed_b');
      expect(seen.every((m) => m.closed)).toBe(true);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('breaking out of the loop closes the map it was on; a thrown error too', () => {
    using a = HashMap.create({ key: u32, value: u32, maxEntries: 4 });
    const before = openFds();
    let kept: BpfMap<unknown, unknown> | undefined;
    for (const m of loadedMaps()) {
      kept = m;
      if (m.info().id === a.info().id) break;
    }
    expect(kept?.closed).toBe(true);
    expect(() => {
      for (const m of loadedMaps()) {
        kept = m;
        throw new Error('stop');
      }
    }).toThrow('stop');
    expect(kept?.closed).toBe(true);
    expect(leakedFds(before)).toEqual([]);
  });
});
