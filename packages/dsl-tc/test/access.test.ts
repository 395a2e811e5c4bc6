import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { accessDisagreements } from '../../dsl-socket/test/access.js';
import { tcPlugin } from '../src/index.js';

describeKernel('__sk_buff access rules of tc against the running kernel (tc_cls_act_is_valid_access)', () => {
  it('every section reads and writes each field as the verifier allows', () => {
    expect(accessDisagreements(tcPlugin)).toEqual([]);
  });
});
