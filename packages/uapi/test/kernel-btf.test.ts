import { readFileSync } from 'node:fs';
import { Btf } from '@ts-ebpf/btf';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { findKernelEnum, kernelMembers } from '../scripts/refresh-from-btf.js';
import { enumLabel, readUapiData } from '../scripts/uapi-data.js';

describeKernel('data/bpf-uapi.json against this kernel', () => {
  const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  const data = readUapiData();

  for (const facts of data.enums) {
    it(`${enumLabel(facts)} has this kernel's members and values`, () => {
      const kernel = findKernelEnum(btf, facts);
      expect(kernel, `this kernel has no ${enumLabel(facts)}`).toBeDefined();
      const theirs = new Map(kernelMembers(kernel!));
      const ours = new Map([...facts.members, ...facts.newer.map(([n, v]) => [n, v] as const)]);
      // Every member of the data has the kernel's value, where the kernel has it.
      const wrong = [...ours].filter(([n, v]) => theirs.has(n) && theirs.get(n) !== v);
      expect(wrong.map(([n, v]) => `${n}: data ${v}, kernel ${theirs.get(n)}`)).toEqual([]);
      // Only members recorded as newer than the recorded kernel may be absent from this one.
      const absent = facts.members.filter(([n]) => !theirs.has(n)).map(([n]) => n);
      expect(absent, 'members the data says the recorded kernel has, but this kernel lacks').toEqual([]);
      // Members this kernel has that the data lacks: run `npm run refresh -w @ts-ebpf/uapi`.
      const missing = [...theirs.keys()].filter((n) => !ours.has(n));
      expect(missing, 'members of this kernel missing from data/bpf-uapi.json').toEqual([]);
    });
  }
});
