import { ContextAccessError, call, exit, HelperNotAllowedError, R2 } from '@ts-ebpf/dsl';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { SK_BUFF, SK_MSG_MD, SOCK_OPS, SOCKET_CTX, skMsg, skSkb, sockOps } from '../src/index.js';
import { btfOffsets, btfSize, ourOffsets } from './layout.js';

describe('socket plugins', () => {
  it('cover their sections with the program and attach types of libbpf', () => {
    expect(skSkb('sk_skb/stream_parser').def).toMatchObject({
      progType: BpfProgType.SK_SKB,
      expectedAttachType: BpfAttachType.SK_SKB_STREAM_PARSER,
    });
    expect(skSkb().def.expectedAttachType).toBe(BpfAttachType.SK_SKB_STREAM_VERDICT);
    expect(skMsg().def).toMatchObject({
      progType: BpfProgType.SK_MSG,
      expectedAttachType: BpfAttachType.SK_MSG_VERDICT,
    });
    expect(sockOps().def).toMatchObject({
      progType: BpfProgType.SOCK_OPS,
      expectedAttachType: BpfAttachType.CGROUP_SOCK_OPS,
    });
  });

  it('give sk_skb the packet pointers and socket addresses a socket filter may not read', () => {
    expect(skSkb().load('data', R2, SOCKET_CTX)).toMatchObject({ off: 76 });
    expect(skSkb().load('remote_port', R2, SOCKET_CTX)).toMatchObject({ off: 132 });
    expect(() => skSkb().load('mark', R2)).toThrow(ContextAccessError);
    expect(() => skSkb().store('cb[0]', R2)).toThrow(ContextAccessError);
    expect(SK_BUFF.fields.data.kind).toBe('packet');
  });

  it('refuse helpers of other program types by name', () => {
    expect(() => skMsg().build([call('sk_redirect_map'), exit()])).toThrow(HelperNotAllowedError);
    expect(() => skSkb().build([call('msg_redirect_map'), exit()])).toThrow(HelperNotAllowedError);
    expect(() => skSkb().build([call('sk_redirect_map'), exit()])).not.toThrow();
  });
});

describeKernel('socket contexts against the running kernel (BTF)', () => {
  it('sk_msg_md', () => {
    expect(btfOffsets('sk_msg_md', SK_MSG_MD.fields)).toEqual(ourOffsets(SK_MSG_MD.fields));
    expect(SK_MSG_MD.size).toBe(btfSize('sk_msg_md'));
  });

  it('bpf_sock_ops', () => {
    expect(btfOffsets('bpf_sock_ops', SOCK_OPS.fields)).toEqual(ourOffsets(SOCK_OPS.fields));
    expect(SOCK_OPS.size).toBe(btfSize('bpf_sock_ops'));
  });
});
