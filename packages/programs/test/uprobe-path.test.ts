import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { AttachError, attachUprobe, resolveUprobePath } from '../src/index.js';
import { Counter, gccTarget } from './helpers.js';

const SOURCE = `
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) int ts_ebpf_named(int x) { __asm__ volatile(""); return x + 1; }
int main(int argc, char **argv) {
  int n = atoi(argv[1]), s = 0;
  char c;
  if (argc > 2 && read(0, &c, 1) != 1) return 2;
  for (int i = 0; i < n; i++) s += ts_ebpf_named(i);
  return s < 0;
}
`;

const target = gccTarget(SOURCE, 'uprobe-path');
const where = 'uprobe test';
const savedPath = process.env.PATH;
const savedLibraryPath = process.env.LD_LIBRARY_PATH;

afterEach(() => {
  process.env.PATH = savedPath;
  if (savedLibraryPath === undefined) delete process.env.LD_LIBRARY_PATH;
  else process.env.LD_LIBRARY_PATH = savedLibraryPath;
});

describe('resolveUprobePath', () => {
  it('uses a path with a slash as it is', () => {
    expect(resolveUprobePath('./not-there', undefined, where)).toBe('./not-there');
  });

  it('finds a bare library name in the library directories, LD_LIBRARY_PATH first', () => {
    const libc = resolveUprobePath('libc.so.6', undefined, where);
    expect(basename(libc)).toBe('libc.so.6');
    expect(readFileSync(libc).subarray(0, 4)).toEqual(Buffer.from('\x7fELF', 'latin1'));
    process.env.LD_LIBRARY_PATH = `/nonexistent:${dirname(libc)}`;
    expect(resolveUprobePath('libc.so.6', undefined, where)).toBe(libc);
  });

  it('finds a bare executable name in PATH', () => {
    process.env.PATH = `/nonexistent:${dirname(target.path)}:${savedPath}`;
    expect(resolveUprobePath(basename(target.path), undefined, where)).toBe(target.path);
  });

  it("finds a bare library name among a process's mapped files", () => {
    // node maps the C library it runs on: `libc` names libc.so.6
    const mapped = resolveUprobePath('libc', process.pid, where);
    expect(basename(mapped)).toMatch(/^libc[.-].*so/);
    expect(readFileSync('/proc/self/maps', 'utf8')).toContain(mapped);
  });

  it('finds a mapped file removed since through its mapping (/proc/<pid>/map_files)', async () => {
    const copy = join(dirname(target.path), 'ts-ebpf-removed-target');
    copyFileSync(target.path, copy);
    const child = spawn(copy, ['1', 'wait'], { stdio: ['pipe', 'ignore', 'inherit'] });
    try {
      while (!readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes(copy))
        await new Promise((r) => setTimeout(r, 5));
      rmSync(copy);
      const found = resolveUprobePath(basename(copy), child.pid, where);
      expect(found).toMatch(new RegExp(`^/proc/${child.pid}/map_files/[0-9a-f]+-[0-9a-f]+$`));
      expect(statSync(found).ino).toBe(statSync(`/proc/${child.pid}/exe`).ino);
    } finally {
      child.kill();
      rmSync(copy, { force: true });
    }
  });

  it('refuses a name it cannot find, naming where it looked', () => {
    process.env.PATH = '/nonexistent-a:/nonexistent-b';
    const e = thrownBy(() => resolveUprobePath('ts-ebpf-no-such-binary', undefined, where));
    expect(e).toBeInstanceOf(AttachError);
    expect((e as Error).message).toMatch(
      /uprobe test.*no file named 'ts-ebpf-no-such-binary' in PATH \(\/nonexistent-a:\/nonexistent-b\); give the file's full path/,
    );
    expect(() => resolveUprobePath('libts-ebpf-none.so', undefined, where)).toThrow(
      /no file named 'libts-ebpf-none.so' in the library directories \(.*\/usr\/lib/,
    );
    expect(() => resolveUprobePath('libts-ebpf-none', process.pid, where)).toThrow(
      new RegExp(`process ${process.pid} maps no file named 'libts-ebpf-none'`),
    );
    expect(() => resolveUprobePath('', undefined, where)).toThrow(/the uprobe path is empty/);
  });
});

describeKernel('uprobes on a bare file name', () => {
  it('a uprobe on an executable named through PATH counts its calls', () => {
    process.env.PATH = `${dirname(target.path)}:${savedPath}`;
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE);
    using link = attachUprobe(p, { path: basename(target.path), symbol: 'ts_ebpf_named' });
    expect(link.info()).toMatchObject({ event: 'uprobe', path: target.path });
    const r = spawnSync(target.path, ['5']);
    expect(r.status).toBe(0);
    expect(c.value).toBe(5n);
  });

  it("a uprobe with a pid finds the file among that process's mapped files", async () => {
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE);
    const child = spawn(target.path, ['3', 'wait'], { stdio: ['pipe', 'ignore', 'inherit'] });
    try {
      // wait until the child has mapped its executable
      const exe = realpathSync(target.path);
      while (!readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes(exe))
        await new Promise((r) => setTimeout(r, 5));
      using link = attachUprobe(p, { path: basename(target.path), symbol: 'ts_ebpf_named', pid: child.pid! });
      expect(link.info()).toMatchObject({ path: exe });
      const done = new Promise((r) => child.on('close', r));
      child.stdin.end('go');
      await done;
      expect(c.value).toBe(3n);
    } finally {
      child.kill();
    }
  });

  it('a uprobe with a pid finds the file the process maps in its own mount namespace, not the one at that path in ours', async () => {
    // The child runs a copy of the target from a tmpfs mounted in a mount namespace of its own;
    // here the same path holds another copy (another inode). /proc/<pid>/maps prints the path as
    // the child's namespace names it.
    const dir = join(dirname(target.path), 'other-namespace');
    const name = 'ts-ebpf-ns-target';
    mkdirSync(dir, { recursive: true });
    copyFileSync(target.path, join(dir, name));
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE);
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t tmpfs none "${dir}" && cp "${target.path}" "${dir}/${name}" && exec "${dir}/${name}" 3 wait`,
      ],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    try {
      while (!readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes(`${dir}/${name}`))
        await new Promise((r) => setTimeout(r, 5));
      using link = attachUprobe(p, { path: name, symbol: 'ts_ebpf_named', pid: child.pid! });
      expect(link.info()).toMatchObject({ event: 'uprobe' });
      const done = new Promise((r) => child.on('close', r));
      child.stdin.end('go');
      expect(await done).toBe(0);
      expect(c.value).toBe(3n);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
