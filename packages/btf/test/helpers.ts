import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf } from '@ts-ebpf/btf';

export const VMLINUX_PATH = '/sys/kernel/btf/vmlinux';

let vmlinux: Btf | undefined;
/** This machine's kernel BTF, parsed once per test file. */
export function kernelBtf(): Btf {
  vmlinux ??= Btf.parse(new Uint8Array(readFileSync(VMLINUX_PATH)));
  return vmlinux;
}

/** A raw-format type as bpftool prints it. */
export interface RawType {
  id: number;
  kind: string;
  name: string;
  attrs: string;
  lines: string[];
}

let raw: Map<number, RawType> | undefined;
/** `bpftool btf dump file /sys/kernel/btf/vmlinux format raw`, parsed. */
export function bpftoolRaw(): Map<number, RawType> {
  if (raw) return raw;
  const text = execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_PATH, 'format', 'raw'], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  raw = new Map();
  let cur: RawType | undefined;
  for (const line of text.split('\n')) {
    const m = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (m) {
      cur = { id: Number(m[1]), kind: m[2]!, name: m[3] === '(anon)' ? '' : m[3]!, attrs: m[4]!, lines: [] };
      raw.set(cur.id, cur);
    } else if (cur && line.startsWith('\t')) cur.lines.push(line.trim());
  }
  return raw;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-btf-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Compiles C for BPF with debug info and returns the raw .BTF (and .BTF.ext) bytes. */
export function compileBpf(source: string, target = 'bpf'): { btf: Uint8Array; ext: Uint8Array } {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'prog.c'), source);
    execFileSync('clang-19', ['-g', '-O2', '-target', target, '-c', 'prog.c', '-o', 'prog.o'], { cwd: dir });
    execFileSync(
      'llvm-objcopy-19',
      ['--dump-section', '.BTF=prog.btf', '--dump-section', '.BTF.ext=prog.btf.ext', 'prog.o'],
      {
        cwd: dir,
      },
    );
    return {
      btf: new Uint8Array(readFileSync(join(dir, 'prog.btf'))),
      ext: new Uint8Array(readFileSync(join(dir, 'prog.btf.ext'))),
    };
  } finally {
    cleanup();
  }
}

/** Compiles a C file with clang-19 for BPF (syntax check); throws with clang's errors. */
export function clangCheck(source: string, extraArgs: string[] = []): void {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'check.c'), source);
    execFileSync(
      'clang-19',
      ['-target', 'bpf', '-g', '-O2', '-c', 'check.c', '-o', 'check.o', ...extraArgs],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 28,
      },
    );
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new Error(`clang failed:\n${String(err.stderr ?? e).slice(0, 4000)}`);
  } finally {
    cleanup();
  }
}
