import * as sys from '@ts-ebpf/syscall';
import { runWithDelegatedBpffs } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';

/** Map creation and BTF loads; of the map types, arrays and task storage only. */
const DELEGATION = { cmds: 'map_create:btf_load', maps: 'array:task_storage', progs: 'any', attachs: 'any' };
const CHILD = new URL('./fixtures/token-child.ts', import.meta.url);

describe('maps created under a BPF token', () => {
  it('are created in a user namespace with the token, and refused without it', async () => {
    const { status, report, stderr } = await runWithDelegatedBpffs(sys, CHILD, DELEGATION);
    expect([status, stderr]).toEqual([0, '']);
    expect(report.withoutToken).toMatch(
      /^MapCreateError: unnamed array map: failed to create: EPERM: the process is in a user namespace, where its capabilities do not count for bpf\(\): pass a BPF token/,
    );
    expect(report.value).toBe('41');
    expect(report.hash).toMatch(
      /^MapCreateError: unnamed hash map: failed to create: EPERM: the BPF token does not allow it: the token's bpffs must delegate map_create \(delegate_cmds\) and hash maps \(delegate_maps\)/,
    );
    expect(report.storage).toBe('7');
    expect(report.storageWithoutToken).toMatch(/EPERM/);
    expect(report.leaked).toEqual([]);
  });
});
