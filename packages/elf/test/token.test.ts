import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sys from '@ts-ebpf/syscall';
import { runWithDelegatedBpffs } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { compileFixture } from './compile.js';
import { CorpusBuild } from './corpus/build.js';

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

  it('decides a virtual kconfig extern (LINUX_HAS_BPF_COOKIE) under the token, as libbpf probes under it', async () => {
    const build = new CorpusBuild();
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-token-'));
    const object = join(dir, 'virtual-kconfig.o');
    writeFileSync(object, build.object('virtual-kconfig.bpf.c'));
    const child = new URL('./fixtures/token-kconfig-child.ts', import.meta.url);
    const run = (progs: string) =>
      runWithDelegatedBpffs(
        sys,
        child,
        { cmds: 'btf_load:map_create:prog_load', maps: 'array', progs, attachs: 'any' },
        [object],
      );
    try {
      // The trial program is a tracepoint program: a bpffs that delegates those answers it.
      const ok = await run('xdp:tracepoint');
      expect([ok.status, ok.stderr]).toEqual([0, '']);
      expect(ok.report.withToken).toBe('has_cookie=1');
      // Without the token the trial is refused: the error names the extern and how to go on.
      expect(ok.report.withoutToken).toMatch(
        /^KconfigError: kconfig extern LINUX_HAS_BPF_COOKIE: libbpf decides it by loading a trial tracepoint program, and the kernel refused that load: .*EPERM.*; or give its value \('y' or 'n'\) in options.kconfig \[cause PermissionError\]$/,
      );
      expect(ok.report.leaked).toEqual([]);
      // A bpffs that delegates XDP programs alone: the token's refusal is named.
      const refused = await run('xdp');
      expect([refused.status, refused.stderr]).toEqual([0, '']);
      expect(refused.report.withToken).toMatch(
        /^KconfigError: kconfig extern LINUX_HAS_BPF_COOKIE: .* refused that load under the BPF token from \/proc\/self\/fd\/\d+ \(its bpffs must delegate prog_load and tracepoint programs\): .*EPERM/,
      );
      expect(refused.report.leaked).toEqual([]);
    } finally {
      build.cleanup();
      rmSync(dir, { recursive: true });
    }
  }, 120_000);
});
