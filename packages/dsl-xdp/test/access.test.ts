import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { accessDisagreements } from '../../dsl-socket/test/access.js';
import { xdpPlugin } from '../src/index.js';

describeKernel('xdp_md access rules against the running kernel (xdp_is_valid_access)', () => {
  it('every section reads and writes each field as the verifier allows', () => {
    expect(accessDisagreements(xdpPlugin)).toEqual([]);
  });
});
