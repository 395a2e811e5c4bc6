import { BpfSyscallError } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { AttachError, attachNetkit, BpfAttachType, BpfProgType, Program } from '../src/index.js';
import { returns } from './helpers.js';

describeKernel('attachNetkit', () => {
  it('asks the kernel for a netkit link and explains its refusal of a device that is not netkit', () => {
    using p = Program.load({
      type: BpfProgType.SCHED_CLS,
      expectedAttachType: BpfAttachType.NETKIT_PRIMARY,
      instructions: returns(0),
    });
    let error: unknown;
    try {
      attachNetkit(p, 'lo', 'primary');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AttachError);
    expect((error as Error).message).toMatch(
      /cannot attach to netkit primary on 'lo': .*netkit device.*CONFIG_NETKIT/,
    );
    expect((error as Error).cause).toBeInstanceOf(BpfSyscallError);
  });

  it('refuses a program that is not sched_cls before asking the kernel', () => {
    using p = Program.load({ type: BpfProgType.XDP, instructions: returns(2) });
    expect(() => attachNetkit(p, 'lo', 'peer')).toThrow(/netkit peer on 'lo'/);
  });
});
