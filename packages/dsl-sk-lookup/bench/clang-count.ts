/** Compiles a BPF C file with clang-19 -O2 and counts the instruction slots of one section. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '@ts-ebpf/elf-reader';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

function multiarchInclude(): string[] {
  const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  return triple ? ['-I', `/usr/include/${triple}`] : [];
}

/** The number of 8-byte instruction slots clang-19 -O2 emits for section `section` of `source`. */
export function clangSlots(source: string, section: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-bench-'));
  try {
    const out = join(dir, 'prog.o');
    const target = HOST_BYTE_ORDER === 'little' ? 'bpfel' : 'bpfeb';
    execFileSync('clang-19', [
      '-O2',
      '-g',
      '-target',
      target,
      ...multiarchInclude(),
      '-c',
      source,
      '-o',
      out,
    ]);
    const elf = parseElf(readFileSync(out));
    const s = elf.section(section);
    if (!s) throw new Error(`${source}: no section ${section}`);
    return elf.data(s).byteLength / 8;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
