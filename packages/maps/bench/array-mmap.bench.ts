/**
 * `BPF_F_MMAPABLE` arrays read and written through a memory mapping (`MmapArray`) against C in
 * the same run (bench/mmap-baseline.c, compiled here with gcc -O2, working on the same map, pinned):
 * C's bpf(BPF_MAP_LOOKUP_ELEM) / bpf(BPF_MAP_UPDATE_ELEM), the goal's baseline (≥ 10× faster), and
 * C's volatile loads and stores through its own mapping of the map, for honesty. BpfMap.get on the
 * same map is printed for reference.
 *
 * Rounds interleave C and JS; each figure is the median of the per-round values and its ratio the
 * median of the per-round ratios (the machine may be shared).
 *
 *   npx nx bench @ts-ebpf/maps      (BENCH_MMAP_N=5000000 mapped accesses, BENCH_N/10 syscalls)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArrayMap, u64 } from '@ts-ebpf/maps';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';

const ENTRIES = 1024;
const N_MEM = Number(process.env.BENCH_MMAP_N ?? 5_000_000);
const N_SYS = Math.max(10_000, Math.round(Number(process.env.BENCH_N ?? 1_000_000) / 10));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-mmap-bench-'));
const bin = join(dir, 'mmap-baseline');
execFileSync('gcc', ['-O2', '-o', bin, new URL('./mmap-baseline.c', import.meta.url).pathname]);

interface CRound {
  lookup: number;
  update: number;
  mmapRead: number;
  mmapWrite: number;
}
interface JsRound {
  get: number;
  set: number;
  syscallGet: number;
}

const ns = (t0: bigint, n: number) => Number(process.hrtime.bigint() - t0) / n;

using map = ArrayMap.create({ value: u64, maxEntries: ENTRIES, mmapable: true, name: 'bench_mmap' });
using values = map.mmap();
const pin = `/sys/fs/bpf/ts-ebpf-mmap-bench-${process.pid}`;
map.pin(pin);

function jsRound(): JsRound {
  const mask = ENTRIES - 1;
  let sum = 0n;
  let t = process.hrtime.bigint();
  for (let i = 0; i < N_MEM; i++) sum += values.get(i & mask);
  const get = ns(t, N_MEM);
  t = process.hrtime.bigint();
  for (let i = 0; i < N_MEM; i++) values.set(i & mask, 1n);
  const set = ns(t, N_MEM);
  t = process.hrtime.bigint();
  for (let i = 0; i < N_SYS; i++) sum += map.get(i & mask)!;
  const syscallGet = ns(t, N_SYS);
  if (sum < 0n) throw new Error('unreachable');
  return { get, set, syscallGet };
}

const cRuns: CRound[] = [];
const jsRuns: JsRound[] = [];
try {
  jsRound(); // warm up: optimized code, touched pages
  for (let r = 0; r < ROUNDS; r++) {
    cRuns.push(
      JSON.parse(
        execFileSync(bin, [pin, String(ENTRIES), String(N_SYS), String(N_MEM)], { encoding: 'utf8' }),
      ),
    );
    jsRuns.push(jsRound());
  }
} finally {
  map.unpin();
}

const med = <T>(runs: T[], pick: (r: T) => number) => median(runs.map(pick));
const ratio = (pick: (i: number) => number) => median(cRuns.map((_, i) => pick(i)));
const c = {
  lookup: med(cRuns, (r) => r.lookup),
  update: med(cRuns, (r) => r.update),
  mmapRead: med(cRuns, (r) => r.mmapRead),
  mmapWrite: med(cRuns, (r) => r.mmapWrite),
};
const js = {
  get: med(jsRuns, (r) => r.get),
  set: med(jsRuns, (r) => r.set),
  syscallGet: med(jsRuns, (r) => r.syscallGet),
};
const rounds = `median of ${ROUNDS} interleaved rounds; ${N_MEM} mapped accesses and ${N_SYS} system calls per round`;
const figures: BenchFigure[] = [
  {
    name: 'MmapArray.get, u64 array (vs C bpf(BPF_MAP_LOOKUP_ELEM))',
    unit: 'ns/op',
    value: js.get,
    baseline: { name: 'C bpf(BPF_MAP_LOOKUP_ELEM)', value: c.lookup },
    goal: { maxRatio: 0.1 },
    note: `ratio ${ratio((i) => jsRuns[i]!.get / cRuns[i]!.lookup).toFixed(4)} as a median of per-round ratios; ${rounds}`,
  },
  {
    name: 'MmapArray.set, u64 array (vs C bpf(BPF_MAP_UPDATE_ELEM))',
    unit: 'ns/op',
    value: js.set,
    baseline: { name: 'C bpf(BPF_MAP_UPDATE_ELEM)', value: c.update },
    goal: { maxRatio: 0.1 },
    note: `ratio ${ratio((i) => jsRuns[i]!.set / cRuns[i]!.update).toFixed(4)} as a median of per-round ratios; ${rounds}`,
  },
  {
    name: 'MmapArray.get vs C reading its own mapping',
    unit: 'ns/op',
    value: js.get,
    baseline: { name: 'C volatile load through the mapping', value: c.mmapRead },
    note: `for honesty: what a C reader of the same mapping does; ratio ${ratio((i) => jsRuns[i]!.get / cRuns[i]!.mmapRead).toFixed(1)} (median of per-round ratios)`,
  },
  {
    name: 'MmapArray.set vs C writing its own mapping',
    unit: 'ns/op',
    value: js.set,
    baseline: { name: 'C volatile store through the mapping', value: c.mmapWrite },
    note: `for honesty; ratio ${ratio((i) => jsRuns[i]!.set / cRuns[i]!.mmapWrite).toFixed(1)} (median of per-round ratios)`,
  },
];
reportBench('@ts-ebpf/maps', figures);

const row = (what: string, ours: number, base: string, theirs: number) =>
  console.log(
    `  ${what.padEnd(30)} ${ours.toFixed(2).padStart(9)} ns/op   ${base.padEnd(34)} ${theirs.toFixed(2).padStart(9)} ns/op   ratio ${(ours / theirs).toFixed(4)}`,
  );
console.log(`BPF_F_MMAPABLE u64 array, ${ENTRIES} entries (${rounds})`);
row('MmapArray.get', js.get, 'C bpf(BPF_MAP_LOOKUP_ELEM)', c.lookup);
row('MmapArray.set', js.set, 'C bpf(BPF_MAP_UPDATE_ELEM)', c.update);
row('MmapArray.get', js.get, 'C load through the mapping', c.mmapRead);
row('MmapArray.set', js.set, 'C store through the mapping', c.mmapWrite);
row('BpfMap.get (syscall, reference)', js.syscallGet, 'C bpf(BPF_MAP_LOOKUP_ELEM)', c.lookup);
