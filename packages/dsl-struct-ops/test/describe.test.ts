import { fieldPath } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { format, R1, R2 } from '@ts-ebpf/dsl';
import { describe, expect, it } from 'vitest';
import {
  callback,
  defineStructOps,
  describeStructOps,
  kernelField,
  loadKernelField,
  minimalCc,
  structOpsPlugin,
  TCP_CC_KFUNCS,
  tcpCaConstants,
} from '../src/index.js';

const btf = kernelBtf();
const tcp = describeStructOps(btf, 'tcp_congestion_ops');

describe('dsl-struct-ops: struct_ops types from BTF', () => {
  it('describes every callback of tcp_congestion_ops with arguments at their real widths', () => {
    const avoid = tcp.callbacks.get('cong_avoid')!;
    expect(avoid.args.map((a) => [a.name, a.cType, a.size, a.contextOffset])).toEqual([
      ['sk', 'struct sock *', 8, 0],
      ['ack', 'u32', 4, 8],
      ['acked', 'u32', 4, 16],
    ]);
    expect(avoid.returns.size).toBe(0);
    const setState = tcp.callbacks.get('set_state')!;
    expect(setState.args[1]).toMatchObject({ name: 'new_state', size: 1, contextOffset: 8 });
    expect(tcp.callbacks.get('cong_control')!.args[2]).toMatchObject({ name: 'flag', signed: true, size: 4 });
    expect(tcp.callbacks.get('ssthresh')!.returns).toMatchObject({ cType: 'u32', size: 4, signed: false });
    expect(tcp.callbacks.get('get_info')!.unsupported).toBe(true);
    expect(
      ['ssthresh', 'undo_cwnd', 'cong_avoid', 'cong_control'].every((m) => tcp.callbacks.get(m)!.required),
    ).toBe(true);
    expect(tcp.callbacks.get('init')!.required).toBe(false);
    // Member indexes are the programs' expected_attach_type: in declaration order.
    const order = [...tcp.callbacks.values(), ...tcp.data.values()].map((m) => m.index).sort((a, b) => a - b);
    expect(order).toEqual(order.map((_, i) => i));
    expect(tcp.data.get('name')).toMatchObject({ cType: 'char[16]', size: 16, required: true });
    expect(tcp.data.get('flags')).toMatchObject({ cType: 'u32', size: 4 });
  });

  it('describes bpf_dummy_ops, where the kernel has it', (ctx) => {
    if (btf.findIds('bpf_struct_ops_bpf_dummy_ops', 'struct').length === 0)
      ctx.skip('no bpf_dummy_ops in this kernel');
    const dummy = describeStructOps(btf, 'bpf_dummy_ops');
    expect(dummy.callbacks.get('test_1')!.args[0]).toMatchObject({
      name: 'state',
      pointer: true,
      pointee: 'bpf_dummy_ops_state',
    });
    expect(dummy.callbacks.get('test_2')!.args.map((a) => a.name)).toEqual(['state', 'a1', 'a2', 'a3', 'a4']);
  });

  it('finds tcp_sock fields through its base structs, with BTF offsets and bitfields', () => {
    const state = kernelField(btf, 'tcp_sock', 'icsk_ca_state');
    const direct = fieldPath(btf, 'tcp_sock.inet_conn.icsk_ca_state');
    expect(state).toMatchObject({
      path: 'inet_conn.icsk_ca_state',
      bitfield: true,
      bitSize: 5,
      bitOffset: direct.bitOffset,
    });
    const shift = state.bitOffset - state.offset * 8;
    expect(format(loadKernelField(btf, 'tcp_sock', 'icsk_ca_state', R2, R1)).trimEnd()).toBe(
      [`r2 = *(u8 *)(r1 + ${state.offset})`, ...(shift ? [`r2 >>= ${shift}`] : []), 'r2 &= 31'].join('\n'),
    );
    expect(kernelField(btf, 'tcp_sock', 'snd_cwnd').offset).toBe(
      fieldPath(btf, 'tcp_sock.snd_cwnd').byteOffset,
    );
    expect(kernelField(btf, 'tcp_sock', 'sk_pacing_rate').path).toBe('inet_conn.icsk_inet.sk.sk_pacing_rate');
    const priv = kernelField(btf, 'tcp_sock', 'icsk_ca_priv[2]');
    expect(priv.offset).toBe(fieldPath(btf, 'tcp_sock.inet_conn.icsk_ca_priv[2]').byteOffset);
  });

  it('loads arguments at their widths from the u64 context', () => {
    const cb = callback(tcp, 'cong_avoid');
    expect(format(cb.arg('acked', R2)).trimEnd()).toBe('r2 = *(u32 *)(r6 + 16)');
    expect(format(cb.arg('sk', R1)).trimEnd()).toBe('r1 = *(u64 *)(r6 + 0)');
    const flag = callback(tcp, 'cong_control').arg('flag', R2);
    expect(format(flag).trimEnd()).toBe('r2 = *(u32 *)(r6 + 16)\nr2 = (s32)r2');
    expect(callback(tcp, 'cong_avoid').argumentStruct('sk')).toBe('tcp_sock');
  });

  it('builds plugin programs attached to their members', () => {
    const def = defineStructOps(tcp, minimalCc('tso_p'));
    const p = def.programs.ssthresh!;
    expect(p.plugin).toBe(structOpsPlugin);
    expect(p.attachTo).toBe('tcp_congestion_ops.ssthresh');
    expect(p.section).toBe('struct_ops');
    expect(format([p.instructions[0]!]).trimEnd()).toBe('r6 = r1');
    expect(def.data).toEqual({ name: 'tso_p' });
  });

  it('reads the ca-state, ca-event and ack-flag constants from kernel enums', () => {
    const c = tcpCaConstants(btf);
    expect(c.state).toMatchObject({ TCP_CA_Open: 0, TCP_CA_Loss: 4 });
    expect(c.event.CA_EVENT_TX_START).toBe(0);
    expect(c.ackFlags.CA_ACK_SLOWPATH).toBe(1);
    expect(TCP_CC_KFUNCS.filter((k) => btf.findIds(k, 'func').length > 0).length).toBeGreaterThanOrEqual(4);
  });
});
