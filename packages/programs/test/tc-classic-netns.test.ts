import { execFileSync } from 'node:child_process';
import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, LoopbackNetns, openFds } from '@ts-ebpf/test-utils';
import { returns } from '@ts-ebpf/test-utils/programs';
import { expect, it } from 'vitest';
import { attachTcClassic, inNetns, Program } from '../src/index.js';

/** What `tc` lists on the namespace's loopback: its qdiscs and its ingress filters. */
const tcOf = (ns: LoopbackNetns) =>
  execFileSync('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' }) +
  execFileSync('tc', ['-n', ns.name, 'filter', 'show', 'dev', 'lo', 'ingress'], { encoding: 'utf8' });

describeKernel('classic tc across network namespaces', () => {
  it('a filter attached inside a namespace is updated and detached there when closed from outside', () => {
    using ns = new LoopbackNetns('tcc');
    using p = Program.load({ type: BpfProgType.SCHED_CLS, instructions: returns(0), name: 'first' });
    using p2 = Program.load({ type: BpfProgType.SCHED_CLS, instructions: returns(0), name: 'second' });
    const link = inNetns(ns.path, () => attachTcClassic(p, 'lo', 'ingress'));
    try {
      expect(tcOf(ns)).toMatch(/clsact[\s\S]*bpf .*first/);
      // back in this thread's own namespace: its 'lo' has the same ifindex (1)
      link.update(p2);
      expect(tcOf(ns)).toMatch(/bpf .*second/);
    } finally {
      link.close();
    }
    expect(tcOf(ns)).not.toMatch(/clsact|bpf/);
  });

  it('a namespace path that cannot be opened leaves no descriptor open', () => {
    const before = openFds().size;
    expect(() => inNetns('/run/netns/ts-ebpf-no-such-namespace', () => 1)).toThrow(/no-such-namespace/);
    expect(openFds().size).toBe(before);
  });
});
