/**
 * The Reno template (renoCc) built with dsl-struct-ops against the same callbacks in C
 * (reno.bpf.c, clang-19 -O2): instruction count and instructions the verifier processed, per
 * callback. Nothing is registered; struct_ops programs cannot be test-run, so there is no
 * timing. The totals go to the benchmark page (`reportBench`). Run as root:
 * `npx nx bench @ts-ebpf/dsl-struct-ops`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpC } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { instructionCount } from '@ts-ebpf/dsl';
import { defineStructOps, describeStructOps, renoCc } from '@ts-ebpf/dsl-struct-ops';
import { LoadedStructOps } from '@ts-ebpf/dsl-struct-ops/kernel';
import { loadCollection, loadCollectionSpec } from '@ts-ebpf/elf';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

/** C function name → the member it implements. */
const C_PROGRAMS = { reno_ssthresh: 'ssthresh', reno_undo_cwnd: 'undo_cwnd', reno_cong_avoid: 'cong_avoid' };

function multiarchInclude(): string[] {
  try {
    const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    return triple ? ['-I', `/usr/include/${triple}`] : [];
  } catch {
    return ['-I', '/usr/include/x86_64-linux-gnu'];
  }
}

function compileReno(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-struct-ops-bench-'));
  try {
    writeFileSync(join(dir, 'vmlinux.h'), dumpC(kernelBtf()));
    const out = join(dir, 'reno.o');
    const target = HOST_BYTE_ORDER === 'little' ? 'bpfel' : 'bpfeb';
    const source = new URL('./reno.bpf.c', import.meta.url).pathname;
    execFileSync('clang-19', [
      '-O2',
      '-g',
      '-target',
      target,
      '-I',
      dir,
      ...multiarchInclude(),
      '-c',
      source,
      '-o',
      out,
    ]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const object = compileReno();
const spec = loadCollectionSpec(object);
const ops = describeStructOps(kernelBtf(), 'tcp_congestion_ops');
const def = defineStructOps(ops, renoCc('tsebpf_bench_d'));
using c = loadCollection(object);
using d = LoadedStructOps.load(def);
console.log('Reno congestion control: dsl-struct-ops renoCc vs clang-19 -O2 (ratio = dsl / clang)');
const total = { ci: 0, di: 0, cv: 0, dv: 0 };
for (const [cName, member] of Object.entries(C_PROGRAMS)) {
  const ci = spec.programs.get(cName)!.instructions.byteLength / 8;
  const di = instructionCount(def.programs[member]!.instructions);
  const cv = c.programs.get(cName)!.info().verifiedInsns;
  const dv = d.programs.get(member)!.info().verifiedInsns;
  total.ci += ci;
  total.di += di;
  total.cv += cv;
  total.dv += dv;
  console.log(
    `  ${member.padEnd(11)} instructions clang ${String(ci).padStart(3)} dsl ${String(di).padStart(3)} ${ratio(di, ci)}   verifier processed clang ${String(cv).padStart(3)} dsl ${String(dv).padStart(3)} ${ratio(dv, cv)}`,
  );
}
console.log(
  `  ${'all'.padEnd(11)} instructions clang ${String(total.ci).padStart(3)} dsl ${String(total.di).padStart(3)} ${ratio(total.di, total.ci)}   verifier processed clang ${String(total.cv).padStart(3)} dsl ${String(total.dv).padStart(3)} ${ratio(total.dv, total.cv)}`,
);
const CLANG = 'clang-19 -O2, the same callbacks in C';
reportBench('@ts-ebpf/dsl-struct-ops', [
  {
    name: 'Reno congestion control (renoCc), all callbacks: instructions',
    unit: 'insns',
    value: total.di,
    baseline: { name: CLANG, value: total.ci },
  },
  {
    name: 'Reno congestion control (renoCc), all callbacks: instructions the verifier processed',
    unit: 'insns',
    value: total.dv,
    baseline: { name: CLANG, value: total.cv },
  },
]);
