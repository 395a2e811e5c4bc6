import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpC } from '@ts-ebpf/btf';
import { loadKernelBtf } from '@ts-ebpf/btf/kernel';

/** Where the C sources of the corpus live. */
export const CORPUS_DIR = new URL('.', import.meta.url).pathname;

/** The corpus objects every loader can build (ksym.bpf.c and unsupported.bpf.c fail to load here by design). */
export const CORPUS = [
  'tracing.bpf.c',
  'maps.bpf.c',
  'net.bpf.c',
  'uprobe.bpf.c',
  'iter.bpf.c',
  'callbacks.bpf.c',
] as const;

/**
 * A scratch directory with `vmlinux.h` made from this machine's BTF by our own
 * `dumpC(loadKernelBtf())`; `vmlinuxSource` says whether bpftool had to stand in.
 */
export class CorpusBuild {
  readonly dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-corpus-'));
  readonly vmlinuxSource: 'dumpC' | 'bpftool';

  constructor() {
    const header = join(this.dir, 'vmlinux.h');
    try {
      writeFileSync(header, dumpC(loadKernelBtf()));
      this.vmlinuxSource = 'dumpC';
    } catch (e) {
      console.warn(`[corpus] dumpC(loadKernelBtf()) failed, using bpftool: ${(e as Error).message}`);
      writeFileSync(
        header,
        execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
          maxBuffer: 1 << 28,
        }),
      );
      this.vmlinuxSource = 'bpftool';
    }
  }

  /** Compiles a corpus source (or C text written to `name`) and returns the object's path. */
  compile(
    name: string,
    options: {
      defines?: Record<string, string>;
      source?: string;
      target?: 'bpf' | 'bpfel' | 'bpfeb';
      /** More include directories, searched after the system's (`-idirafter`). */
      includeAfter?: readonly string[];
    } = {},
  ): string {
    const src = options.source === undefined ? join(CORPUS_DIR, name) : join(this.dir, name);
    if (options.source !== undefined) writeFileSync(src, options.source);
    const out = join(this.dir, name.replace(/\.c$/, options.target ? `.${options.target}.o` : '.o'));
    const defines = Object.entries(options.defines ?? {}).map(([k, v]) => `-D${k}=${v}`);
    execFileSync('clang-19', [
      '-g',
      '-O2',
      '-target',
      options.target ?? 'bpf',
      '-D__TARGET_ARCH_x86',
      `-I${this.dir}`,
      `-I${CORPUS_DIR}`,
      ...defines,
      ...(options.includeAfter ?? []).map((d) => `-idirafter${d}`),
      '-c',
      src,
      '-o',
      out,
    ]);
    return out;
  }

  /** The bytes of a compiled corpus object, as `readFileSync` gives them (a Buffer, as users load objects). */
  object(name: string, options?: Parameters<CorpusBuild['compile']>[1]): Buffer {
    return readFileSync(this.compile(name, options));
  }

  /**
   * The user-space binary the uprobe programs probe (`uprobe-target.c`, built with gcc
   * into the scratch directory on first use); its path.
   */
  uprobeTarget(): string {
    const out = join(this.dir, 'uprobe-target');
    if (!existsSync(out)) execFileSync('gcc', ['-O2', '-o', out, join(CORPUS_DIR, 'uprobe-target.c')]);
    return out;
  }

  /** Removes the scratch directory. */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
