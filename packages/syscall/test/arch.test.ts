import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYSCALL_TABLES } from '../src/arch.js';
import { SUPPORTED_ARCHITECTURES, syscallTable, UnsupportedArchitectureError } from '../src/index.js';

function headerNumbers(path: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = readFileSync(path, 'utf8');
  for (const m of text.matchAll(/#define __NR(?:3264)?_(\w+)\s+(\d+)/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('syscall tables', () => {
  it('cover the five 64-bit architectures', () => {
    expect([...SUPPORTED_ARCHITECTURES].sort()).toEqual(['arm64', 'ppc64', 'riscv64', 's390x', 'x64']);
  });

  it('x86_64 numbers match the installed asm/unistd_64.h', () => {
    const header = headerNumbers('/usr/include/x86_64-linux-gnu/asm/unistd_64.h');
    for (const [name, nr] of Object.entries(SYSCALL_TABLES.x64!))
      expect([name, header.get(name)]).toEqual([name, nr]);
  });

  it('arm64 and riscv64 numbers match asm-generic/unistd.h', () => {
    const header = headerNumbers('/usr/include/asm-generic/unistd.h');
    for (const arch of ['arm64', 'riscv64']) {
      for (const [name, nr] of Object.entries(SYSCALL_TABLES[arch]!)) {
        expect([arch, name, header.get(name)]).toEqual([arch, name, nr]);
      }
    }
  });

  it('every table names the same syscalls with distinct numbers', () => {
    const names = Object.keys(SYSCALL_TABLES.x64!).sort();
    for (const table of Object.values(SYSCALL_TABLES)) {
      expect(Object.keys(table).sort()).toEqual(names);
      expect(new Set(Object.values(table)).size).toBe(names.length);
    }
  });

  it('s390x and ppc64 keep their distinct bpf numbers', () => {
    expect(syscallTable('s390x').bpf).toBe(351);
    expect(syscallTable('ppc64').bpf).toBe(361);
  });

  it('an unsupported architecture is a clear error', () => {
    expect(() => syscallTable('mips')).toThrow(UnsupportedArchitectureError);
    expect(() => syscallTable('ia32')).toThrow(/architecture 'ia32' is not supported \(supported: x64/);
  });
});
