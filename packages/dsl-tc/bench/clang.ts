/**
 * Compiles a BPF C file with clang-19 -O2 for the host's byte order and loads programs with
 * the verifier's statistics: what the instruction-count benchmarks of the DSL plugins
 * (dsl-tc, dsl-flow-dissector) compare with.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '@ts-ebpf/elf-reader';
import { type BpfProgType, close, progLoad } from '@ts-ebpf/syscall';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

function multiarchInclude(): string[] {
  try {
    const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    return triple ? ['-I', `/usr/include/${triple}`] : [];
  } catch {
    return ['-I', '/usr/include/x86_64-linux-gnu'];
  }
}

/** The instructions of section `section` of `source` compiled by clang-19 -O2 (no relocations). */
export function compileSection(source: string, section: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
  try {
    const out = join(dir, 'prog.o');
    const target = HOST_BYTE_ORDER === 'little' ? 'bpfel' : 'bpfeb';
    execFileSync('clang-19', ['-O2', '-target', target, ...multiarchInclude(), '-c', source, '-o', out]);
    const elf = parseElf(readFileSync(out));
    const text = elf.section(section);
    if (!text) throw new Error(`${source} has no section ${section}`);
    if (elf.relocationSections().get(text.index)) throw new Error(`${source}: ${section} needs relocations`);
    return Uint8Array.from(elf.data(text));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Loads `insns` as a program of `progType` and returns the verifier's processed-instruction count. */
export function verifierProcessed(
  progType: BpfProgType,
  insns: Uint8Array,
  name: string,
  expectedAttachType?: number,
): number {
  const logBuf = new Uint8Array(1 << 16);
  const fd = progLoad({
    progType,
    insns,
    license: 'GPL',
    logLevel: 4,
    logBuf,
    progName: name,
    ...(expectedAttachType !== undefined && { expectedAttachType }),
  });
  close(fd);
  const log = new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0)));
  const m = /processed (\d+) insns/.exec(log);
  if (!m) throw new Error(`no "processed N insns" in the verifier log of ${name}:\n${log}`);
  return Number(m[1]);
}

/**
 * Prints the comparison (DSL vs clang: instruction count and verifier-processed instructions)
 * and reports both figures for `pkg` to the benchmark page (`reportBench`), clang as the baseline.
 */
export function report(
  pkg: string,
  title: string,
  c: { insns: number; processed: number },
  d: { insns: number; processed: number },
): void {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(`${title}: dsl vs clang-19 -O2 (ratio = dsl / clang)`);
  console.log(`  instructions        clang ${c.insns}   dsl ${d.insns}   ${ratio(d.insns, c.insns)}`);
  console.log(
    `  verifier processed  clang ${c.processed}   dsl ${d.processed}   ${ratio(d.processed, c.processed)}`,
  );
  const baseline = (value: number) => ({ name: 'clang-19 -O2, same logic in C', value });
  reportBench(pkg, [
    { name: `${title}: instructions`, unit: 'insns', value: d.insns, baseline: baseline(c.insns) },
    {
      name: `${title}: instructions the verifier processed`,
      unit: 'insns',
      value: d.processed,
      baseline: baseline(c.processed),
    },
  ]);
}
