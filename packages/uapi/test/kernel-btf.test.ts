import { readFileSync } from 'node:fs';
import { Btf } from '@ts-ebpf/btf';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { findKernelEnum, kernelMembers, refreshEnum } from '../scripts/refresh-from-btf.js';
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

  it('a refresh takes the kernel members and keeps what the kernel lacks under newer', () => {
    const facts = data.enums.find((e) => e.name === 'bpf_prog_type')!;
    const doctored = {
      ...facts,
      source: 'an older record',
      members: [
        ...facts.members.filter(([n]) => n !== 'BPF_PROG_TYPE_NETFILTER'),
        ['BPF_PROG_TYPE_GONE', 99] as const,
      ],
      newer: [['BPF_PROG_TYPE_NETFILTER', 32, 'a header'] as const],
    };
    const refreshed = refreshEnum(doctored, findKernelEnum(btf, facts)!, 'BTF of this kernel');
    expect(refreshed.source).toBe('BTF of this kernel');
    expect(refreshed.members).toContainEqual(['BPF_PROG_TYPE_NETFILTER', 32]);
    expect(refreshed.members.some(([n]) => n === 'BPF_PROG_TYPE_GONE')).toBe(false);
    expect(refreshed.newer).toEqual([['BPF_PROG_TYPE_GONE', 99, 'an older record']]);
  });
});
