import { btfObjectIds, LoadedBtf, loadBtf, loadedBtfObjects } from '@ts-ebpf/btf/kernel';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { sampleBuilder } from './sample.js';

describeKernel('listing the BTF objects of the machine', () => {
  it('lists vmlinux and BTF this test loaded, by id and opened, leaving no descriptor open', () => {
    const before = openFds();
    {
      using mine = loadBtf(sampleBuilder());
      const id = mine.info().id;
      expect(mine.info()).toMatchObject({ name: '', kernelBtf: false });
      const ids = [...btfObjectIds()];
      expect(ids).toContain(id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const seen: LoadedBtf[] = [];
      let vmlinux = false;
      for (const btf of loadedBtfObjects()) {
        seen.push(btf);
        const info = btf.info();
        vmlinux ||= info.name === 'vmlinux' && info.kernelBtf;
      }
      expect(vmlinux).toBe(true);
      expect(seen.map((b) => b.closed)).toEqual(seen.map(() => true));
      expect(seen.length).toBeGreaterThanOrEqual(1);
      // fromId opens a new descriptor of the same object
      using again = LoadedBtf.fromId(id);
      expect(again.info().id).toBe(id);
      expect(again.fd).not.toBe(mine.fd);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('breaking out of the loop closes the object it was on', () => {
    const before = openFds();
    let kept: LoadedBtf | undefined;
    for (const btf of loadedBtfObjects()) {
      kept = btf;
      expect(btf.closed).toBe(false);
      break;
    }
    expect(kept?.closed).toBe(true);
    expect(leakedFds(before)).toEqual([]);
  });
});
