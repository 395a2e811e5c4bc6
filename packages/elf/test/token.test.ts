import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sys from '@ts-ebpf/syscall';
import { runWithDelegatedBpffs } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { compileFixture } from './compile.js';

describe('loadCollection with a BPF token', () => {
  it('loads an object in a user namespace under the token (a path or a BpfToken), and fails without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-token-'));
    const object = join(dir, 'sample.o');
    writeFileSync(object, compileFixture('sample.bpf.c'));
    try {
      const { status, report, stderr } = await runWithDelegatedBpffs(
        sys,
        new URL('./fixtures/token-child.ts', import.meta.url),
        { cmds: 'btf_load:map_create:prog_load', maps: 'array', progs: 'xdp', attachs: 'any' },
        [object],
      );
      expect([status, stderr]).toEqual([0, '']);
      expect(report.withoutToken).toMatch(/^ObjectBtfError: .*EPERM/);
      expect(report.retval).toBe(2);
      expect(report.hits).toBe('1');
      expect(report.asyncRetval).toBe(2);
      expect(report.badPath).toBe(
        "BpfTokenError: cannot create a BPF token from '/nonexistent': no such directory",
      );
      expect(report.leaked).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
