import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { R1, R2 } from '@ts-ebpf/dsl';
import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  CallbackArgumentError,
  callback,
  callKernel,
  defineStructOps,
  describeStructOps,
  fixedWindowCc,
  KernelFieldError,
  KfuncError,
  minimalCc,
  ReturnWidthError,
  StructOpsMemberError,
  TCP_SOCK,
  UnknownStructOpsTypeError,
} from '../src/index.js';

const tcp = () => describeStructOps(kernelBtf(), 'tcp_congestion_ops');

describe('dsl-struct-ops: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'an ops type the kernel does not have',
      act: () => describeStructOps(kernelBtf(), 'tcp_congestion_opz'),
      error: UnknownStructOpsTypeError,
      names: ['tcp_congestion_opz'],
    },
    {
      what: 'a required member left out (undo_cwnd)',
      act: () => {
        const { undo_cwnd: _, ...callbacks } = minimalCc('tso_x').callbacks;
        return defineStructOps(tcp(), { data: { name: 'tso_x' }, callbacks });
      },
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.undo_cwnd', 'required'],
    },
    {
      what: 'neither cong_avoid nor cong_control',
      act: () => {
        const { cong_avoid: _, ...callbacks } = minimalCc('tso_x').callbacks;
        return defineStructOps(tcp(), { data: { name: 'tso_x' }, callbacks });
      },
      error: StructOpsMemberError,
      names: ['cong_avoid', 'cong_control'],
    },
    {
      what: 'no name for a congestion control',
      act: () => defineStructOps(tcp(), { callbacks: minimalCc('tso_x').callbacks }),
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.name'],
    },
    {
      what: 'a member the ops struct does not have',
      act: () =>
        defineStructOps(tcp(), {
          ...minimalCc('tso_x'),
          callbacks: { ...minimalCc('tso_x').callbacks, on_ack: (cb) => cb.ret() },
        }),
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.on_ack'],
    },
    {
      what: 'a data member given as a callback',
      act: () => callback(tcp(), 'flags'),
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.flags', 'data member'],
    },
    {
      what: 'a callback given as data',
      act: () => defineStructOps(tcp(), { ...minimalCc('tso_x'), data: { name: 'tso_x', ssthresh: 1 } }),
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.ssthresh', 'callback'],
    },
    {
      what: 'get_info, which the kernel refuses from BPF',
      act: () => callback(tcp(), 'get_info').build([]),
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.get_info'],
    },
    {
      what: 'a return value wider than u32 from ssthresh',
      act: () => callback(tcp(), 'ssthresh').ret(2 ** 32),
      error: ReturnWidthError,
      names: ['tcp_congestion_ops.ssthresh', 'u32'],
    },
    {
      what: 'a negative return from an unsigned callback',
      act: () => callback(tcp(), 'undo_cwnd').ret(-1),
      error: ReturnWidthError,
      names: ['tcp_congestion_ops.undo_cwnd'],
    },
    {
      what: 'a value returned from a void callback',
      act: () => callback(tcp(), 'cong_avoid').ret(1),
      error: ReturnWidthError,
      names: ['tcp_congestion_ops.cong_avoid', 'void'],
    },
    {
      what: 'a write to a read-only field (srtt_us)',
      act: () => callback(tcp(), 'cong_avoid').store(TCP_SOCK, 'srtt_us', R1, R2),
      error: KernelFieldError,
      names: ['tcp_sock.srtt_us', 'read-only'],
    },
    {
      what: 'a write to a bitfield (icsk_ca_state)',
      act: () => callback(tcp(), 'set_state').store(TCP_SOCK, 'icsk_ca_state', R1, R2),
      error: KernelFieldError,
      names: ['tcp_sock.icsk_ca_state', 'bitfield'],
    },
    {
      what: 'a field tcp_sock does not have',
      act: () => callback(tcp(), 'cong_avoid').load(TCP_SOCK, 'snd_cwnd_max', R2, R1),
      error: KernelFieldError,
      names: ['tcp_sock.snd_cwnd_max'],
    },
    {
      what: 'an argument the callback does not take',
      act: () => callback(tcp(), 'ssthresh').arg('acked', R2),
      error: CallbackArgumentError,
      names: ['tcp_congestion_ops.ssthresh', '"acked"'],
    },
    {
      what: 'a kfunc the kernel does not have',
      act: () => callKernel(kernelBtf(), 'tcp_reno_cong_avoid2'),
      error: KfuncError,
      names: ['tcp_reno_cong_avoid2'],
    },
    {
      what: 'a congestion control name longer than 15 characters',
      act: () => minimalCc('tsebpf_much_too_long'),
      error: StructOpsMemberError,
      names: ['tcp_congestion_ops.name', 'tsebpf_much_too_long'],
    },
    {
      what: 'a fixed window of zero packets',
      act: () => fixedWindowCc('tso_x', 0),
      error: StructOpsMemberError,
      names: ['window 0'],
    },
  ]);
});
