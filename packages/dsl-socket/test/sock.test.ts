import * as d from '@ts-ebpf/dsl';
import { HelperNotAllowedError } from '@ts-ebpf/dsl';
import { Program } from '@ts-ebpf/programs';
import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { BPF_SOCK_LAYOUT, BpfProgType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BPF_SOCK,
  loadSock,
  SK_BUFF,
  SOCKET_CTX,
  SocketFieldError,
  skFullsock,
  skMsg,
  skSkb,
  socketFilter,
  sockOps,
} from '../src/index.js';
import { sockDisagreements } from './access.js';

const { R0, R2, R3 } = d;

/** `r2 = ctx->sk; if r2 == 0 goto done` for a section whose context has a socket pointer `sk`. */
function skOf(section: d.PluginSection): d.Fragment {
  return [section.load('sk', R2, SOCKET_CTX), d.jeq(R2, 0, 'done')];
}

describe('socket pointers', () => {
  it("type __sk_buff's sk as the verifier does: a maybe-NULL sock_common, not a bpf_sock", () => {
    expect(SK_BUFF.fields.sk).toMatchObject({
      kind: 'pointer',
      btfType: 'struct sock_common',
      nullable: true,
    });
  });

  it('give every bpf_sock field through a full socket, all but type, protocol, mark, priority through sock_common', () => {
    expect(Object.keys(BPF_SOCK.fields)).toEqual(Object.keys(BPF_SOCK_LAYOUT.fields));
    const sockOnly = Object.entries(BPF_SOCK.fields)
      .filter(([, f]) => !f.via.includes('sock_common'))
      .map(([n]) => n);
    expect(sockOnly).toEqual(['type', 'protocol', 'mark', 'priority']);
    expect(Object.values(BPF_SOCK.fields).every((f) => f.via.includes('sock'))).toBe(true);
  });

  it('load a field with its size and offset', () => {
    expect(loadSock('sock_common', 'family', R3, R2)).toEqual(d.ldx('w', R3, R2, 4));
    expect(loadSock('sock_common', 'dst_port', R3, R2)).toEqual(d.ldx('h', R3, R2, 48));
    expect(loadSock('sock', 'mark', R3, R2)).toEqual(d.ldx('w', R3, R2, 16));
    expect(skFullsock(R2)).toEqual([d.mov(d.R1, R2), d.call('sk_fullsock')]);
    expect(skFullsock(d.R1)).toEqual([d.call('sk_fullsock')]);
  });

  it('refuse mark through a sock_common pointer, naming what it gives and bpf_sk_fullsock', () => {
    const e = thrownBy(() => loadSock('sock_common', 'mark', R3, R2));
    expect(e).toBeInstanceOf(SocketFieldError);
    expect(e).toMatchObject({ field: 'mark', pointer: 'sock_common' });
    expect((e as Error).message).toBe(
      "struct bpf_sock.mark cannot be read through a sock_common pointer (what skb->sk loads): the verifier allows bound_dev_if, family, src_ip4, src_ip6[0..3], src_port, dst_port, dst_ip4, dst_ip6[0..3], state, rx_queue_mapping there. A full socket ('sock') comes from bpf_sk_fullsock (skFullsock), which SCHED_CLS, SCHED_ACT, CGROUP_SKB programs may call",
    );
  });
});

describeKernel("socket pointers against this kernel's verifier", () => {
  it('sock_common (skb->sk of socket filters and each sk_skb section): every bpf_sock field as the verifier allows', () => {
    const skSkbSections = (['sk_skb/stream_parser', 'sk_skb/stream_verdict', 'sk_skb/verdict'] as const).map(
      (s) => skSkb(s),
    );
    for (const section of [socketFilter(), ...skSkbSections])
      expect(sockDisagreements(section, skOf(section), 'sock_common')).toEqual([]);
  });

  it('sock (sk of sk_msg and sock_ops): every bpf_sock field as the verifier allows', () => {
    for (const section of [skMsg(), sockOps()] as d.PluginSection[])
      expect(sockDisagreements(section, skOf(section), 'sock')).toEqual([]);
  });

  it('skFullsock gives a tc program a full socket, whose mark it may read; sk_skb may not call it', () => {
    /** A tc program: `r2 = skb->sk`, checked, then `toRead` leaves the pointer to read `mark` through in R2. */
    const tc = (toRead: d.Fragment): Program =>
      Program.load({
        type: BpfProgType.SCHED_CLS,
        instructions: d.program(
          d.ldx('dw', R2, d.R1, SK_BUFF.fields.sk.offset),
          d.jeq(R2, 0, 'done'),
          toRead,
          d.ldx('w', R3, R2, BPF_SOCK.fields.mark.offset),
          d.mark('done'),
          d.mov(R0, 0),
          d.exit(),
        ),
      });
    using _full = tc([...skFullsock(R2), d.jeq(R0, 0, 'done'), d.mov(R2, R0)]);
    // Through skb->sk itself, the kernel refuses it, as loadSock('sock_common', 'mark') does.
    expect(() => tc([])).toThrow(/sock_common/);
    expect(() => skSkb().build([...skFullsock(R2), ...skSkb().ret('SK_PASS')])).toThrow(
      HelperNotAllowedError,
    );
  });
});
