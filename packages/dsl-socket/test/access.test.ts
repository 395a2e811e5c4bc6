import { ContextAccessError, R2 } from '@ts-ebpf/dsl';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  SOCKET_CTX,
  skMsgPlugin,
  skSkb,
  skSkbPlugin,
  socketFilter,
  socketFilterPlugin,
  sockOps,
  sockOpsPlugin,
} from '../src/index.js';
import { accessDisagreements } from './access.js';

describe('context access rules', () => {
  it('let sock_ops store to reply (replylong[0]) and sk_txhash, not to replylong[1..3]', () => {
    expect(sockOps().store('reply', R2, SOCKET_CTX)).toMatchObject({ off: 4 });
    expect(sockOps().store('replylong[0]', R2, SOCKET_CTX)).toMatchObject({ off: 4 });
    expect(sockOps().store('sk_txhash', R2, SOCKET_CTX)).toMatchObject({ off: 164 });
    for (const i of [1, 2, 3] as const)
      expect(() => sockOps().store(`replylong[${i}]`, R2, SOCKET_CTX)).toThrow(ContextAccessError);
    expect(() => sockOps().store('replylong[1]', R2, SOCKET_CTX)).toThrow(
      /sock_ops programs of section 'sockops' may not write struct bpf_sock_ops.replylong\[1\]/,
    );
  });

  it('let sk_skb store to priority and tc_index only, and socket filters to cb[0..4] only', () => {
    expect(skSkb().store('priority', R2, SOCKET_CTX)).toMatchObject({ off: 32 });
    expect(skSkb('sk_skb/stream_parser').store('tc_index', R2, SOCKET_CTX)).toMatchObject({ off: 44 });
    expect(() => skSkb().store('cb[0]', R2, SOCKET_CTX)).toThrow(ContextAccessError);
    expect(() => socketFilter().store('priority', R2, SOCKET_CTX)).toThrow(
      /socket_filter programs of section 'socket' may not write struct __sk_buff.priority/,
    );
  });
});

describeKernel('context access rules against the running kernel (verifier)', () => {
  it('sock_ops: every field read or written as the verifier allows', () => {
    expect(accessDisagreements(sockOpsPlugin)).toEqual([]);
  });

  it('socket filter, sk_skb (each section) and sk_msg: every field read or written as the verifier allows', () => {
    expect(accessDisagreements(socketFilterPlugin)).toEqual([]);
    expect(accessDisagreements(skSkbPlugin)).toEqual([]);
    expect(accessDisagreements(skMsgPlugin)).toEqual([]);
  });
});
