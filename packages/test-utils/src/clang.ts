import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

function multiarchInclude(): string[] {
  const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  return triple ? ['-I', `/usr/include/${triple}`] : [];
}

/**
 * Compiles the BPF C file `source` to the object `out` with clang-19 -O2 -g for the host's byte
 * order, with the machine's multiarch headers (`<asm/…>`) on the include path. With
 * `debug: false`, without -g: the object has no BTF and no `.BTF.ext` (no func_info or line_info).
 * `include`: more include directories (one holding a generated `vmlinux.h`), searched first;
 * `byteOrder`: the object's, in place of the host's.
 */
export function compileBpfC(
  source: string,
  out: string,
  options: { debug?: boolean; include?: readonly string[]; byteOrder?: ByteOrder } = {},
): void {
  const target = (options.byteOrder ?? HOST_BYTE_ORDER) === 'little' ? 'bpfel' : 'bpfeb';
  const debug = options.debug === false ? [] : ['-g'];
  execFileSync('clang-19', [
    '-O2',
    ...debug,
    '-target',
    target,
    ...(options.include ?? []).map((dir) => `-I${dir}`),
    ...multiarchInclude(),
    '-c',
    source,
    '-o',
    out,
  ]);
}

/**
 * The number of 8-byte instruction slots clang-19 -O2 emits for ELF section `section` of the
 * BPF C file `source` (for instruction-count comparisons; an ld_imm64 takes 2 slots). Reads
 * the section's size from `llvm-objdump-19 -h`.
 */
export function clangSectionSlots(source: string, section: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'tsebpf-clang-'));
  try {
    const out = join(dir, 'prog.o');
    compileBpfC(source, out);
    const headers = execFileSync('llvm-objdump-19', ['-h', out], { encoding: 'utf8' });
    for (const line of headers.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[1] === section) return Number.parseInt(f[2]!, 16) / 8;
    }
    throw new Error(`${source}: clang emitted no section '${section}'`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
