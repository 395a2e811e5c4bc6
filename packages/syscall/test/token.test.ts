import { readFileSync } from 'node:fs';
import { runWithDelegatedBpffs, thrownBy } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import * as sys from '../src/index.js';
import {
  BpfArgumentError,
  BpfMapType,
  BpfToken,
  BpfTokenError,
  close,
  FsconfigCmd,
  fsconfig,
  fsmount,
  fsopen,
  mapCreate,
} from '../src/index.js';

const CHILD = new URL('./fixtures/token-child.ts', import.meta.url);
const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8');

describe('BpfToken', () => {
  it('lets a user-namespace root create maps and load BTF and programs the bpffs delegates, which it cannot without one', async () => {
    const before = mounts();
    const { status, report, stderr } = await runWithDelegatedBpffs(sys, CHILD, {
      cmds: 'map_create:prog_load:btf_load',
      maps: 'array',
      progs: 'xdp',
      attachs: 'any',
    });
    expect([status, stderr]).toEqual([0, '']);
    const without = report.withoutToken as Record<string, string>;
    expect(without.map).toMatch(/^PermissionError EPERM: bpf\(BPF_MAP_CREATE\)/);
    expect(without.prog).toMatch(/^PermissionError EPERM: bpf\(BPF_PROG_LOAD\)/);
    expect(without.btf).toMatch(/^PermissionError EPERM: bpf\(BPF_BTF_LOAD\)/);
    expect(without.map).toContain('the process is in a user namespace, where its capabilities do not count');
    expect(report.bpffs).toMatch(/^fd \d+$/);
    expect(report.allowed).toEqual({ mapCreate: 1, mapUpdate: 0, array: 1, hash: 0, xdp: 1, attachs: 'all' });
    expect(report.initialUserns).toBe(false);
    expect(sys.inInitialUserNamespace()).toBe(true);
    expect(report.map).toBe('ok');
    // delegate_maps names only array maps
    expect(report.hash).toMatch(
      /^PermissionError EPERM: .*the BPF token does not allow it: its bpffs must delegate BPF_MAP_CREATE/,
    );
    expect(report.retval).toBe(2);
    expect(report.btf).toBe('ok');
    expect(report.closedFd).toMatch(/^ObjectClosedError : BPF token from fd \d+ is closed/);
    expect(report.byPath).toBe('ok');
    expect(report.subdirectory).toMatch(
      /^BpfTokenError EINVAL: cannot create a BPF token from '\/proc\/self\/fd\/\d+\/sub': it is not the root directory of a bpffs mount/,
    );
    expect(report.missing).toBe(
      "BpfTokenError ENOENT: cannot create a BPF token from '/nonexistent/bpffs': no such directory",
    );
    expect(report.notBpffs).toMatch(
      /^BpfTokenError EINVAL: .*'\/proc': it is not the root directory of a bpffs/,
    );
    expect(report.initBpffs).toMatch(
      /^BpfTokenError EPERM: cannot create a BPF token from '\/sys\/fs\/bpf': the bpffs was not created in this process's user namespace/,
    );
    expect(report.leaked).toEqual([]);
    // the child mounted in its own mount namespace, detached: nothing is left here
    expect(mounts()).toBe(before);
  });

  it('names a bpffs that delegates nothing', async () => {
    const { status, report } = await runWithDelegatedBpffs(sys, CHILD, null, ['nothing-delegated']);
    expect(status).toBe(0);
    expect(report.create).toMatch(
      /^BpfTokenError ENOENT: cannot create a BPF token from fd \d+: the bpffs delegates nothing/,
    );
    expect(report.leaked).toEqual([]);
  });

  it('is refused in the initial user namespace, even on a delegating bpffs', () => {
    const fs = fsopen('bpf');
    let mnt = -1;
    try {
      fsconfig(fs, FsconfigCmd.SET_STRING, 'delegate_cmds', 'any');
      fsconfig(fs, FsconfigCmd.CMD_CREATE);
      mnt = fsmount(fs);
      const e = thrownBy(() => BpfToken.create(mnt));
      expect(e).toBeInstanceOf(BpfTokenError);
      expect((e as BpfTokenError).code).toBe('EOPNOTSUPP');
      expect((e as Error).message).toMatch(/from fd \d+: the process is in the initial user namespace/);
      expect((e as Error).cause).toBeInstanceOf(sys.UnsupportedError);
    } finally {
      close(fs);
      if (mnt >= 0) close(mnt);
    }
  });

  it('refuses bad input before any system call', () => {
    expect(() => BpfToken.create('/sys/fs/bpf\0x')).toThrow(BpfArgumentError);
    expect(() => BpfToken.create(-1)).toThrow(/bpffs: expected a non-negative integer file descriptor/);
    expect(() => fsconfig(0, 3 as 1)).toThrow(/cmd: expected one of FsconfigCmd's values/);
    // BPF_F_TOKEN_FD without a token fd would make the kernel read fd 0 as the token
    const map = { mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 };
    expect(() => mapCreate({ ...map, mapFlags: sys.BpfMapCreateFlag.TOKEN_FD })).toThrow(
      /mapFlags: has BPF_F_TOKEN_FD \(0x10000\) set but no mapTokenFd is given/,
    );
  });

  it('names a fsconfig option the kernel refuses', () => {
    const fs = fsopen('bpf');
    try {
      expect(() => fsconfig(fs, FsconfigCmd.SET_STRING, 'delegate_maps', 'no_such_map')).toThrow(
        /fsconfig failed: EINVAL .*delegate_maps/,
      );
    } finally {
      close(fs);
    }
  });
});
