import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpfArgumentError, IocDir, ioc, iocLayout, PerfIoctl } from '../src/index.js';

// Requests built with the kernel's own macros: asm-generic/ioctl.h as is, and as powerpc's
// asm/ioctl.h includes it (13 size bits, 3 direction bits, none 1, read 2, write 4).
function cRequests(powerpc: boolean): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-ioc-'));
  const src = join(dir, 'ioc.c');
  writeFileSync(
    src,
    `#include <stdio.h>
${powerpc ? '#define _IOC_SIZEBITS 13\n#define _IOC_DIRBITS 3\n#define _IOC_NONE 1U\n#define _IOC_READ 2U\n#define _IOC_WRITE 4U' : ''}
#include <asm-generic/ioctl.h>
int main(void) {
  printf("%u %u %u %u %u\\n", (unsigned)_IO('$', 0), (unsigned)_IOW('$', 8, unsigned int),
         (unsigned)_IOR('$', 7, unsigned long long), (unsigned)_IOWR('X', 0x41, char[4000]),
         (unsigned)_IOC(_IOC_NONE, 0xff, 0xff, 0));
  return 0;
}
`,
  );
  execFileSync('gcc', ['-o', join(dir, 'ioc'), src]);
  return execFileSync(join(dir, 'ioc'), { encoding: 'utf8' }).trim().split(' ').map(Number);
}

function ours(arch: string): number[] {
  const layout = iocLayout(arch);
  return [
    ioc(IocDir.NONE, 0x24, 0, 0, layout),
    ioc(IocDir.WRITE, 0x24, 8, 4, layout),
    ioc(IocDir.READ, 0x24, 7, 8, layout),
    ioc(IocDir.READ_WRITE, 0x58, 0x41, 4000, layout),
    ioc(IocDir.NONE, 0xff, 0xff, 0, layout),
  ];
}

describe('ioctl request numbers', () => {
  it('match the kernel macros on asm-generic architectures', () => {
    const c = cRequests(false);
    for (const arch of ['x64', 'arm64', 'riscv64', 's390x']) expect(ours(arch)).toEqual(c);
  });

  it('match the kernel macros on powerpc', () => {
    const c = cRequests(true);
    expect(ours('ppc64')).toEqual(c);
    // the perf ioctls differ from x86's in the direction bits
    expect(c[1]).toBe(0x80042408);
  });

  it('this process uses its own layout', () => {
    expect(PerfIoctl.SET_BPF).toBe(ioc(IocDir.WRITE, 0x24, 8, 4, iocLayout(process.arch)));
  });

  it('refuses fields that do not fit', () => {
    expect(() => ioc(IocDir.WRITE, 0x100, 0, 0)).toThrow(BpfArgumentError);
    expect(() => ioc(IocDir.WRITE, 0, 0x100, 0)).toThrow(BpfArgumentError);
    expect(() => ioc(IocDir.WRITE, 0, 0, 1 << 14)).toThrow(BpfArgumentError);
    expect(() => ioc(IocDir.WRITE, 0, 0, 1 << 13, iocLayout('ppc64'))).toThrow(BpfArgumentError);
  });
});
