/**
 * Load time of programs of 10, 1,000 and 100,000 instructions through `Program.load` (+ close)
 * versus the same BPF_PROG_LOAD from C (bench/load.c, compiled here with gcc, loading the same
 * bytes from a temp file), with the koffi call floor beside the 10-instruction figure: the same
 * load as a bare koffi call (attr prepared once, ../../syscall/bench/koffi-floor.ts), and the
 * environment floor: the same C loop built as a shared object and run inside this node process
 * (../../syscall/bench/in-process.ts), against the standalone executable.
 *
 * Rounds interleave C, the C loop in this process, the bare koffi call and ours, C first in even
 * rounds and ours first in odd ones; a figure is the median of the rounds and its ratio the median
 * of the per-round ratios (the machine may be shared), printed also per order. The attach benches
 * are bench/attach.bench.ts.
 *
 * Run as root: `npm run bench -w @ts-ebpf/programs` (BENCH_ROUNDS=7; BENCH_LOADS=2000 loads of
 * 10 instructions per round).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfProgType } from '@ts-ebpf/syscall';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { benchFunction, buildBenchLibrary } from '../../syscall/bench/in-process.js';
import { bareProgLoad, median } from '../../syscall/bench/koffi-floor.js';
import { Program } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const LOADS = Number(process.env.BENCH_LOADS ?? 2000);

/** `r0 = i & 0xff` repeated, then `exit`: `n` instructions that verify in one pass. */
function straightLine(n: number): Uint8Array {
  const out = new Uint8Array(n * 8);
  for (let i = 0; i < n - 1; i++) {
    out[i * 8] = 0xb7;
    out[i * 8 + 4] = i & 0xff;
  }
  out[(n - 1) * 8] = 0x95;
  return out;
}

function timeOurs(insns: Uint8Array, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) Program.load({ type: BpfProgType.XDP, instructions: insns }).close();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`);

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
try {
  const cBin = join(dir, 'load');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', cBin, join(here, 'load.c')]);
  const loadLoop = benchFunction(
    buildBenchLibrary(join(here, 'load.c'), join(dir, 'libload.so')),
    'double load_loop(const uint8_t *insns, size_t len, int type, long iterations)',
  );
  const figures: BenchFigure[] = [];
  console.log(`BPF_PROG_LOAD (xdp, straight-line code) + close, mean per load, median of ${ROUNDS} rounds:`);
  console.log(
    '  insns      ts-ebpf      C        ratio   C first / ours first   C in this process   (bare koffi call: ratio to C)',
  );
  for (const [n, iterations] of [
    [10, LOADS],
    [1000, Math.max(20, LOADS / 4)],
    [100_000, Math.max(3, LOADS / 200)],
  ] as const) {
    const insns = straightLine(n);
    const file = join(dir, `prog-${n}.bin`);
    writeFileSync(file, insns);
    const c = () =>
      Number(execFileSync(cBin, [file, String(BpfProgType.XDP), String(iterations)], { encoding: 'utf8' }));
    const cHere = () => {
      const ns = loadLoop(insns, insns.byteLength, BpfProgType.XDP, iterations);
      if (ns < 0) throw new Error(`load_loop in this process failed (errno ${-ns})`);
      return ns;
    };
    timeOurs(insns, Math.min(iterations, 200)); // warm up: optimized code
    const rounds: { c: number; cHere: number; ours: number; bare: number | undefined }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // C first in even rounds, ours first in odd ones: an order or warm-up bias shows as a split.
      if (r % 2 === 0) {
        const cNs = c();
        const here = cHere();
        const bare = n === 10 ? bareProgLoad(iterations) : undefined;
        rounds.push({ c: cNs, cHere: here, bare, ours: timeOurs(insns, iterations) });
      } else {
        const ours = timeOurs(insns, iterations);
        const bare = n === 10 ? bareProgLoad(iterations) : undefined;
        const here = cHere();
        rounds.push({ c: c(), cHere: here, bare, ours });
      }
    }
    const ours = median(rounds.map((r) => r.ours));
    const cNs = median(rounds.map((r) => r.c));
    const ratio = median(rounds.map((r) => r.ours / r.c));
    const floor =
      n === 10
        ? {
            what: 'bpf(BPF_PROG_LOAD) + close through koffi',
            ratio: median(rounds.map((r) => r.bare! / r.c)),
          }
        : undefined;
    const overBare = n === 10 ? median(rounds.map((r) => r.ours / r.bare!)) : undefined;
    const byOrder = (first: 0 | 1) =>
      median(rounds.filter((_, i) => i % 2 === first).map((r) => r.ours / r.c)).toFixed(2);
    const here = median(rounds.map((r) => r.cHere));
    const hereRatio = median(rounds.map((r) => r.cHere / r.c));
    figures.push({
      name: `Program.load + close, ${n} insns`,
      unit: 'µs/op',
      value: ours / 1e3,
      baseline: { name: 'C bpf(BPF_PROG_LOAD) + close', value: cNs / 1e3 },
      ...(n === 10 && { goal: { maxRatio: 1.15 } }),
      ...(floor && { floor }),
      note: `per-round median ratio ${ratio.toFixed(3)}${overBare === undefined ? '' : `; ${overBare.toFixed(3)}× the bare koffi call`}; the C loop inside this node process ${hereRatio.toFixed(3)}× the standalone C; median of ${ROUNDS} rounds of ${iterations} loads`,
    });
    if (n === 10)
      figures.push({
        name: `C BPF_PROG_LOAD + close inside this node process, ${n} insns`,
        unit: 'µs/op',
        value: here / 1e3,
        baseline: { name: 'the same C loop as its own executable', value: cNs / 1e3 },
        note: `the environment floor of Program.load: load.c built as a shared object, its loop called once per round through koffi; median per-round ratio ${hereRatio.toFixed(3)}; median of ${ROUNDS} rounds of ${iterations} loads`,
      });
    console.log(
      `  ${String(n).padStart(7)}  ${fmt(ours).padStart(10)} ${fmt(cNs).padStart(10)}   ${ratio.toFixed(2)}   ${byOrder(0)} / ${byOrder(1)}            ${fmt(here).padStart(9)} (${hereRatio.toFixed(2)})${floor ? `    (${floor.ratio.toFixed(2)}; ours ${overBare!.toFixed(2)}× the bare call)` : ''}`,
    );
  }
  reportBench('@ts-ebpf/programs', figures);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
