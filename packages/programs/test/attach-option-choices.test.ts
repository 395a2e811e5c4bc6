import { BpfArgumentError, BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { returns } from '@ts-ebpf/test-utils/programs';
import { expect, it } from 'vitest';
import { attachCgroup, attachTcClassic, attachTcx, attachXdp, Program, queryTcx } from '../src/index.js';

describeKernel('attach options that are none of their choices', () => {
  it('are refused, naming the option, before anything is attached', () => {
    using xdp = Program.load({ type: BpfProgType.XDP, instructions: returns(0) });
    using cls = Program.load({ type: BpfProgType.SCHED_CLS, instructions: returns(0) });
    using skb = Program.load({
      type: BpfProgType.CGROUP_SKB,
      instructions: returns(0),
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
