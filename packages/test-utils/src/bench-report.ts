/**
 * Benchmark results as data. Every `npm run bench` script reports its figures here; each call writes
 * `bench-results/<package>.json` at the repository root, and `scripts/bench-page.ts` (run at the end of
 * `npm run bench`) renders all of them into `docs/benchmarks.md` and `docs/benchmarks.json`.
 *
 * A figure is one measurement of ours, optionally beside its C baseline measured in the same run, the
 * goal it is held to, and the koffi call floor that applies to it (the bare FFI call of the same syscall
 * against C's, so a reader can tell wrapper cost from FFI cost).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which direction is better for a figure's value. */
export type BenchSense = 'lower-is-better' | 'higher-is-better';

/** The goal a figure is held to. Ratios are ours / baseline, so for times lower is better. */
export interface BenchGoal {
  /** ours / baseline must be at most this (e.g. 1.15 for "≤ 1.15× C"; 0.1 for "≥ 10× faster than C"). */
  readonly maxRatio?: number;
  /** The value must be at least this, in the figure's unit (e.g. 2 for "≥ 2 M insn/s"). */
  readonly minValue?: number;
  /** The value must be at most this, in the figure's unit (e.g. 100 for "≤ 100 ms"). */
  readonly maxValue?: number;
}

/** The koffi call floor that applies to a figure: a bare koffi call of the same kernel entry vs C's. */
export interface KoffiFloor {
  /** What was called, e.g. `bpf(BPF_MAP_LOOKUP_ELEM) through koffi`. */
  readonly what: string;
  /** Bare koffi call time / C call time, in the same run. */
  readonly ratio: number;
}

/** One measurement. */
export interface BenchFigure {
  /** What was measured, e.g. `Program.load + close, 10 insns`. */
  readonly name: string;
  /** Unit of `value` and `baseline.value`, e.g. `µs/op`, `ns/rec`, `ms`, `M insn/s`. */
  readonly unit: string;
  /** Our figure. */
  readonly value: number;
  /** Defaults to lower-is-better (a time). */
  readonly sense?: BenchSense;
  /** The C (or libbpf, or bpftool) figure from the same run, in the same unit. */
  readonly baseline?: { readonly name: string; readonly value: number };
  readonly goal?: BenchGoal;
  readonly floor?: KoffiFloor;
  /** Anything a reader needs to interpret the figure (rounds, sizes, what the baseline does). */
  readonly note?: string;
}

/** A figure with its derived ratio and goal verdict, as stored in the JSON. */
export interface BenchResult extends BenchFigure {
  /** ours / baseline for lower-is-better, baseline / ours for higher-is-better: below 1 means we are faster. */
  readonly ratio?: number;
  /** Whether the goal is met; absent when there is no goal. */
  readonly goalMet?: boolean;
}

/** The file one package's bench writes. */
export interface BenchReport {
  readonly package: string;
  readonly recordedAt: string;
  readonly results: readonly BenchResult[];
}

/** The repository root (this file is packages/test-utils/src/bench-report.ts). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where each package's report lands. */
export const BENCH_RESULTS_DIR = join(REPO_ROOT, 'bench-results');

/**
 * One stamp per bench run: `npm run bench` sets `TS_EBPF_BENCH_RUN` for every package's bench, so
 * the reports of several processes of one run merge and a new run starts clean. A bench started on
 * its own gets a stamp per process (set the variable yourself to merge separate processes).
 */
const runStamp = process.env.TS_EBPF_BENCH_RUN ?? new Date().toISOString();

/** The ratio of a figure to its baseline, oriented so that below 1 means ours is faster. */
export function benchRatio(figure: BenchFigure): number | undefined {
  if (!figure.baseline) return undefined;
  return figure.sense === 'higher-is-better'
    ? figure.baseline.value / figure.value
    : figure.value / figure.baseline.value;
}

function goalMet(figure: BenchFigure, ratio: number | undefined): boolean | undefined {
  const goal = figure.goal;
  if (!goal) return undefined;
  if (goal.maxRatio !== undefined) {
    if (ratio === undefined)
      throw new Error(`bench figure "${figure.name}" has a ratio goal but no baseline`);
    if (ratio > goal.maxRatio) return false;
  }
  if (goal.minValue !== undefined && figure.value < goal.minValue) return false;
  if (goal.maxValue !== undefined && figure.value > goal.maxValue) return false;
  return true;
}

/** Derives ratio and goal verdict. */
export function benchResult(figure: BenchFigure): BenchResult {
  if (!Number.isFinite(figure.value)) throw new Error(`bench figure "${figure.name}" has no finite value`);
  const ratio = benchRatio(figure);
  return { ...figure, ratio, goalMet: goalMet(figure, ratio) };
}

/**
 * Records figures for a package: merges them (by name) into `bench-results/<package>.json` when
 * that file is from the same run (see `TS_EBPF_BENCH_RUN`), so a bench that runs in parts or in
 * several processes may call this once per part. Returns the stored results.
 */
export function reportBench(pkg: string, figures: readonly BenchFigure[]): readonly BenchResult[] {
  mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
  const file = join(BENCH_RESULTS_DIR, `${pkg.replace(/^@ts-ebpf\//, '')}.json`);
  let previous: BenchResult[] = [];
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    // A report from an earlier run is replaced, not merged: only parts of this run merge.
    if (stored.recordedAt === runStamp) previous = [...stored.results];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fresh = figures.map(benchResult);
  const names = new Set(fresh.map((r) => r.name));
  const results = [...previous.filter((r) => !names.has(r.name)), ...fresh];
  const report: BenchReport = { package: pkg, recordedAt: runStamp, results };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return results;
}
