/**
 * Load time of programs of 10, 1,000 and 100,000 instructions through `Program.load` (+ close)
 * versus the same BPF_PROG_LOAD from C (bench/load.c, compiled here with gcc, loading the same
 * bytes from a temp file), with the koffi call floor beside the 10-instruction figure: the same
 * load as a bare koffi call (attr prepared once, ../../syscall/bench/koffi-floor.ts), and the
 * environment floor: the same C loop built as a shared object and run inside this node process
 * (../../syscall/bench/in-process.ts), against the standalone executable.
 *
 * Each round runs half its C loads, half the C loop in this process, ours (for 10 instructions in 4
 * blocks in turns with the bare koffi call: ../../syscall/bench/koffi-floor.ts `inTurns`), the
 * other half of the C loop in this process and the other half of C: each side sits at the same
 * moments of a shared machine on average. A figure is the median of the rounds and its ratio the
 * median of the per-round ratios, printed also against the first and the second half of C alone
 * (a split between the two is drift within rounds). What each layer
 * of ours costs over the bare call is bench/load-parts.ts. The attach benches are
 * bench/attach.bench.ts.
 *
 * Run as root: `npx nx bench @ts-ebpf/programs` (BENCH_ROUNDS=15; BENCH_LOADS=1200 loads of
 * 10 instructions per round).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Program } from '@ts-ebpf/programs';
import { BpfProgType } from '@ts-ebpf/syscall';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';
import { benchFunction, buildBenchLibrary } from '../../syscall/bench/in-process.js';
import { bareProgLoad, inTurns } from '../../syscall/bench/koffi-floor.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const LOADS = Number(process.env.BENCH_LOADS ?? 1200);

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
    '  insns      ts-ebpf      C        ratio   to C before / after   C in this process   (bare koffi call: ratio to C)',
  );
  for (const [n, iterations] of [
    [10, LOADS],
    [1000, Math.max(20, LOADS / 4)],
    [100_000, Math.max(3, LOADS / 200)],
  ] as const) {
    const insns = straightLine(n);
    const file = join(dir, `prog-${n}.bin`);
    writeFileSync(file, insns);
    const half = Math.ceil(iterations / 2);
    const c = () =>
      Number(execFileSync(cBin, [file, String(BpfProgType.XDP), String(half)], { encoding: 'utf8' }));
    const cHere = () => {
      const ns = loadLoop(insns, insns.byteLength, BpfProgType.XDP, half);
      if (ns < 0) throw new Error(`load_loop in this process failed (errno ${-ns})`);
      return ns;
    };
    timeOurs(insns, Math.min(iterations, 200)); // warm up: optimized code
    const rounds: {
      c: number;
      cFirst: number;
      cSecond: number;
      cHere: number;
      ours: number;
      bare: number | undefined;
    }[] = [];
    // ours, and for 10 instructions the bare call, in turns within the round: ns per load of each
    const oursAndBare = (): { ours: number; bare: number | undefined } => {
      if (n !== 10) return { ours: timeOurs(insns, iterations), bare: undefined };
      const [ours, bare] = inTurns(4, Math.ceil(iterations / 4), [
        (k) => timeOurs(insns, k) * k,
        (k) => bareProgLoad(k) * k,
      ]);
      return { ours: ours!, bare: bare! };
    };
    for (let r = 0; r < ROUNDS; r++) {
      const cFirst = c();
      const hereFirst = cHere();
      const both = oursAndBare();
      const hereSecond = cHere();
      const cSecond = c();
      rounds.push({
        c: (cFirst + cSecond) / 2,
        cFirst,
        cSecond,
        cHere: (hereFirst + hereSecond) / 2,
        ...both,
      });
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
    const byHalf = (half: 'cFirst' | 'cSecond') => median(rounds.map((r) => r.ours / r[half])).toFixed(2);
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
        note: `the environment floor of Program.load: load.c built as a shared object, its loop called through koffi for half of each round's loads before ours and half after; median per-round ratio ${hereRatio.toFixed(3)}; median of ${ROUNDS} rounds of ${iterations} loads`,
      });
    console.log(
      `  ${String(n).padStart(7)}  ${fmt(ours).padStart(10)} ${fmt(cNs).padStart(10)}   ${ratio.toFixed(2)}   ${byHalf('cFirst')} / ${byHalf('cSecond')}               ${fmt(here).padStart(9)} (${hereRatio.toFixed(2)})${floor ? `    (${floor.ratio.toFixed(2)}; ours ${overBare!.toFixed(2)}× the bare call)` : ''}`,
    );
  }
  reportBench('@ts-ebpf/programs', figures);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
