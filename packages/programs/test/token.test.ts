import * as sys from '@ts-ebpf/syscall';
import { runWithDelegatedBpffs } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';

describe('Program.load with a BPF token', () => {
  it('loads (and test-runs) in a user namespace with the token, and is refused without it', async () => {
    const { status, report, stderr } = await runWithDelegatedBpffs(
      sys,
      new URL('./fixtures/token-child.ts', import.meta.url),
      { cmds: 'prog_load', maps: 'any', progs: 'xdp', attachs: 'any' },
    );
    expect([status, stderr]).toEqual([0, '']);
    expect(report.withoutToken).toMatch(
      /^PermissionError: bpf\(BPF_PROG_LOAD\) failed: EPERM .*the process is in a user namespace, where its capabilities do not count/,
    );
    expect(report.retval).toBe(3);
    expect(report.asyncRetval).toBe(3);
    expect(report.socketFilter).toMatch(
      /^PermissionError: bpf\(BPF_PROG_LOAD\) failed: EPERM .*the BPF token does not allow it: its bpffs must delegate BPF_PROG_LOAD \(delegate_cmds\) and the map, program and attach type/,
    );
    expect(report.leaked).toEqual([]);
  });
});
