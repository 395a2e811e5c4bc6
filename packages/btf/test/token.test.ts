import * as sys from '@ts-ebpf/syscall';
import { describeKernel, runWithDelegatedBpffs } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

describeKernel('loadBtf with a BPF token', () => {
  it('loads in a user namespace with the token (with and without a log), and is refused without it', async () => {
    const { status, report, stderr } = await runWithDelegatedBpffs(
      sys,
      new URL('./fixtures/token-child.ts', import.meta.url),
      { cmds: 'btf_load' },
    );
    expect([status, stderr]).toEqual([0, '']);
    expect(report.withoutToken).toMatch(/^bpf\(BPF_BTF_LOAD\) failed: EPERM .*user namespace/);
    expect(report.withoutToken0).toMatch(/^bpf\(BPF_BTF_LOAD\) failed: EPERM/);
    expect([report.kernelBtf, report.kernelBtf0]).toEqual([false, false]);
    expect(report.leaked).toEqual([]);
  });
});
