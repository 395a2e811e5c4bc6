import { execFileSync } from 'node:child_process';
import { BpfArgumentError, BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, LoopbackNetns, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  attachCgroup,
  attachTcClassic,
  attachTcx,
  attachXdp,
  inNetns,
  Program,
  queryTcx,
} from '../src/index.js';

/** `r0 = 0; exit`: TC_ACT_OK, and XDP_ABORTED for an XDP program (never run here). */
const RETURN_0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** What `tc` lists on the namespace's loopback: its qdiscs and its ingress filters. */
const tcOf = (ns: LoopbackNetns) =>
  execFileSync('tc', ['-n', ns.name, 'qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' }) +
  execFileSync('tc', ['-n', ns.name, 'filter', 'show', 'dev', 'lo', 'ingress'], { encoding: 'utf8' });

describeKernel('classic tc across network namespaces', () => {
  it('a filter attached inside a namespace is updated and detached there when closed from outside', () => {
    using ns = new LoopbackNetns('tcc');
    using p = Program.load({ type: BpfProgType.SCHED_CLS, instructions: RETURN_0, name: 'first' });
    using p2 = Program.load({ type: BpfProgType.SCHED_CLS, instructions: RETURN_0, name: 'second' });
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

describeKernel('attach options that are none of their choices', () => {
  it('are refused, naming the option, before anything is attached', () => {
    using xdp = Program.load({ type: BpfProgType.XDP, instructions: RETURN_0 });
    using cls = Program.load({ type: BpfProgType.SCHED_CLS, instructions: RETURN_0 });
    using skb = Program.load({
      type: BpfProgType.CGROUP_SKB,
      instructions: RETURN_0,
      expectedAttachType: BpfAttachType.CGROUP_INET_INGRESS,
    });
    const refused = (act: () => unknown, option: string, value: string) => {
      const thrown = thrownBy(act);
      expect(thrown).toBeInstanceOf(BpfArgumentError);
      expect((thrown as BpfArgumentError).argument).toBe(option);
      expect((thrown as Error).message).toContain(`"${value}" is not one of`);
    };
    // untyped callers' typos: before, each picked a default (no mode, 'auto', egress, a legacy attach)
    refused(() => attachXdp(xdp, 'lo', { mode: 'generic' as never }), 'mode', 'generic');
    refused(() => attachXdp(xdp, 'lo', { via: 'bogus' as never }), 'via', 'bogus');
    refused(() => attachTcClassic(cls, 'lo', 'sideways' as never), 'direction', 'sideways');
    refused(() => attachTcx(cls, 'lo', 'sideways' as never), 'direction', 'sideways');
    refused(() => queryTcx('lo', 'in' as never), 'direction', 'in');
    refused(() => attachCgroup(skb, '/sys/fs/cgroup', { mode: 'bogus' as never }), 'mode', 'bogus');
  });
});
