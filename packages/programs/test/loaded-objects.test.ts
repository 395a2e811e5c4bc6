import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, returns } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  attachNetns,
  type Link,
  linkIds,
  loadedLinks,
  loadedPrograms,
  Program,
  programIds,
} from '../src/index.js';

describeKernel('listing the programs and links of the machine', () => {
  it('lists programs this test loaded, by id and opened, leaving no descriptor open', () => {
    const before = openFds();
    {
      using p = Program.load({
        type: BpfProgType.SOCKET_FILTER,
        name: 'listed_prog',
        instructions: returns(0),
      });
      const id = p.info().id;
      expect([...programIds()]).toContain(id);
      const seen: Program[] = [];
      let found: string | undefined;
      for (const q of loadedPrograms()) {
        if (seen.length > 0) expect(seen.at(-1)!.closed).toBe(true);
        seen.push(q);
        if (q.info().id === id) found = q.name;
      }
      expect(found).toBe('listed_prog');
      expect(seen.every((q) => q.closed)).toBe(true);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('breaking out closes the program it was on; one reopened by id inside the loop is kept', () => {
    const before = openFds();
    {
      using p = Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: returns(0) });
      let borrowed: Program | undefined;
      let kept: Program | undefined;
      for (const q of loadedPrograms()) {
        if (q.info().id !== p.info().id) continue;
        borrowed = q;
        kept = Program.fromId(q.info().id);
        break;
      }
      expect(borrowed?.closed).toBe(true);
      expect(kept?.closed).toBe(false);
      kept?.close();
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('lists a bpf_link this test made, by id and opened', () => {
    const before = openFds();
    {
      using p = Program.load({
        type: BpfProgType.SK_LOOKUP,
        expectedAttachType: BpfAttachType.SK_LOOKUP,
        instructions: returns(1),
      });
      using link = attachNetns(p, '/proc/self/ns/net');
      const id = link.info().id;
      expect([...linkIds()]).toContain(id);
      let programId: number | undefined;
      let last: Link | undefined;
      for (const l of loadedLinks()) {
        last = l;
        if (l.info().id === id) {
          programId = l.info().progId;
          break;
        }
      }
      expect(programId).toBe(p.info().id);
      expect(last?.isBpfLink).toBe(true);
    }
    expect(leakedFds(before)).toEqual([]);
  });
});
