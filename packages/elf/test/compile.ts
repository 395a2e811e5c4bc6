import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';

/**
 * Compiles `fixtures/<name>` with clang-19 for a BPF target and returns the object's bytes as
 * `readFileSync` gives them (a Buffer, usually a view into a larger pool), as users load objects.
 */
export function compileFixture(name: string, target: 'bpf' | 'bpfel' | 'bpfeb' = 'bpf'): Buffer {
  const out = join(mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-')), `${name}.${target}.o`);
  const src = new URL(`./fixtures/${name}`, import.meta.url).pathname;
  execFileSync('clang-19', ['-g', '-O2', '-target', target, '-c', src, '-o', out]);
  return readFileSync(out);
}

/**
 * Compiles `fixtures/<fixture>` with clang-19 for the BPF target (x86 as the traced
 * architecture), looking for headers such as a generated vmlinux.h in `includeDir`;
 * writes the object into `includeDir` and returns its path.
 */
export function compileFixtureIn(fixture: string, includeDir: string): string {
  const out = join(includeDir, fixture.replace(/\.c$/, '.o'));
  const src = new URL(`./fixtures/${fixture}`, import.meta.url).pathname;
  execFileSync('clang-19', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    '-D__TARGET_ARCH_x86',
    `-I${includeDir}`,
    '-c',
    src,
    '-o',
    out,
  ]);
  return out;
}

/**
 * What a test's C source starts with when it includes no header: the integer types and libbpf's
 * `SEC`, `__uint` and `__type` macros.
 */
export const BPF_PREAMBLE = `
typedef unsigned int u32;
typedef unsigned long long u64;
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
`;

/**
 * Compiles C `source` (after {@link BPF_PREAMBLE}) with test-utils' `compileBpfC` in a
 * directory of its own, removed again, and returns the object's bytes.
 */
export function compileSource(name: string, source: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-'));
  try {
    writeFileSync(join(dir, `${name}.bpf.c`), BPF_PREAMBLE + source);
    compileBpfC(join(dir, `${name}.bpf.c`), join(dir, `${name}.bpf.o`));
    return readFileSync(join(dir, `${name}.bpf.o`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Compiles C `source` (as it is: it includes its own headers) into `<dir>/<name>.bpf.o` and
 * returns the object's bytes: with test-utils' `compileBpfC` (this host's byte order), or for
 * `target` with clang-19 alone (no multiarch headers: for sources that include none).
 */
export function compileIn(dir: string, name: string, source: string, target?: 'bpfel' | 'bpfeb'): Buffer {
  const file = join(dir, `${name}.bpf.c`);
  const out = join(dir, `${name}.bpf.o`);
  writeFileSync(file, source);
  if (target) execFileSync('clang-19', ['-g', '-O2', '-target', target, '-c', file, '-o', out]);
  else compileBpfC(file, out);
  return readFileSync(out);
}
