import { type Fragment, jeq, mov, PluginSection, R0, R2 } from '@ts-ebpf/dsl';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { accessDisagreements, sockDisagreements } from '../../dsl-socket/test/access.js';
import { skFullsock, TC_CTX, tcPlugin } from '../src/index.js';

describeKernel('__sk_buff access rules of tc against the running kernel (tc_cls_act_is_valid_access)', () => {
  it('every section reads and writes each field as the verifier allows', () => {
    expect(accessDisagreements(tcPlugin)).toEqual([]);
  });

  it('skb->sk is a sock_common pointer, skFullsock of it a full socket: each bpf_sock field read as the verifier allows', () => {
    for (const name of tcPlugin.sections) {
      const section = new PluginSection(tcPlugin, name);
      const sk: Fragment = [section.load('sk', R2, TC_CTX), jeq(R2, 0, 'done')];
      expect(sockDisagreements(section, sk, 'sock_common')).toEqual([]);
      const full: Fragment = [sk, ...skFullsock(R2), jeq(R0, 0, 'done'), mov(R2, R0)];
      expect(sockDisagreements(section, full, 'sock')).toEqual([]);
    }
  });
});
