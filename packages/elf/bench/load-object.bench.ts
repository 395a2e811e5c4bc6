/**
 * loadCollection + close of one generated object (50 XDP programs, 20 maps, `.bss`) against libbpf
 * in-process: `bpf_object__open_mem` + `bpf_object__load` + `bpf_object__close` in
 * test/corpus/libbpf-load.c (`--serve`: one process, started before the warm-up, times each round's
 * loads on request, so that this process forks nothing between rounds), linked with the system's
 * libbpf, in the same run.
 *
 * What both sides do per load: parse the ELF and its BTF, fix the BTF up for the kernel and load it
 * (BPF_BTF_LOAD, no log unless refused), create the 20 maps and the `.bss` array (mmapable, created
 * zeroed, so neither side writes it), relocate map references, load the 50 programs with func_info
 * and line_info, then close everything. Neither side loads vmlinux BTF (the object has no CO-RE,
 * kfuncs or ksyms). libbpf also runs its feature probes, once per process (before the timed
 * loads); ours are cached per process as well.
 *
 * Rounds alternate ours and libbpf (N loads each); each round's ratio is taken and the median
 * reported, for wall time and for process CPU time (user + system: what the load costs the machine,
 * less disturbed than wall time on a loaded host). The koffi call floor is a bare BPF_PROG_LOAD of a
 * 2-instruction program + close through koffi against the same from C (bench/bare-prog-load.c).
 *
 * Further rows, in the same rounds and against the same sequential libbpf baseline (explicit
 * options, not the headline): `loadCollection(bytes, { threads })`, the programs verified on
 * BENCH_CONCURRENCY threads at once (this one and helper threads; default the machine's
 * parallelism), and `loadCollectionAsync`, the programs loaded by BENCH_CONCURRENCY helper threads,
 * and by one, while this thread awaits them.
 *
 * Run: npx nx bench @ts-ebpf/elf   (root, CAP_BPF, clang-19, gcc and libbpf installed).
 * BENCH_ROUNDS (default 15: the ratio is a median of rounds, and 5 were too few on a 2-core machine
 * shared with other work) and BENCH_LOADS (default 20) set the size, BENCH_WARMUP (default 200) the
 * loads before the rounds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCollection, loadCollectionAsync } from '@ts-ebpf/elf';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { returns } from '@ts-ebpf/test-utils/programs';
import { median } from '@ts-ebpf/test-utils/stats';
import { bareProgLoad } from '../../syscall/bench/koffi-floor.js';
import { buildLibbpfLoad, libbpfLoadServer } from '../test/corpus/libbpf.js';

const here = dirname(fileURLToPath(import.meta.url));
const PROGRAMS = 50;
const MAPS = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const LOADS = Number(process.env.BENCH_LOADS ?? 20);
const FLOOR_LOADS = 2000;
/** Loads before the rounds (BENCH_WARMUP, default 200): until V8 has optimised the load path. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
/** Program loads at once in the async row: BENCH_CONCURRENCY, default the machine's parallelism. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? availableParallelism());

function source(): string {
  const lines = [
    '#include <linux/bpf.h>',
    '#include <bpf/bpf_helpers.h>',
    'char LICENSE[] SEC("license") = "GPL";',
  ];
  for (let m = 0; m < MAPS; m++) {
    const type = m % 2 === 0 ? 'BPF_MAP_TYPE_HASH' : 'BPF_MAP_TYPE_ARRAY';
    lines.push(
      `struct { __uint(type, ${type}); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } map_${m} SEC(".maps");`,
    );
  }
  lines.push('__u64 total = 0;');
  for (let p = 0; p < PROGRAMS; p++) {
    lines.push(`SEC("xdp") int prog_${p}(struct xdp_md *ctx) {
  __u32 k = ctx->ingress_ifindex & 63;
  __u64 one = 1, *v = bpf_map_lookup_elem(&map_${p % MAPS}, &k);
  if (v) __sync_fetch_and_add(v, ${p + 1});
  else bpf_map_update_elem(&map_${p % MAPS}, &k, &one, BPF_ANY);
  __sync_fetch_and_add(&total, 1);
  return XDP_PASS;
}`);
  }
  return lines.join('\n');
}

/**
 * Our wall and process CPU time (user + system) per loadCollection + close, in ns, and minor page
 * faults per load; the programs verified on `threads` threads at once.
 */
function ours(bytes: Uint8Array, n: number, threads = 1): { wall: number; cpu: number; faults: number } {
  const faults0 = process.resourceUsage().minorPageFault;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) loadCollection(bytes, { threads }).close();
  const wall = Number(process.hrtime.bigint() - start) / n;
  const cpu = process.cpuUsage(cpu0);
  const faults = (process.resourceUsage().minorPageFault - faults0) / n;
  return { wall, cpu: ((cpu.user + cpu.system) * 1e3) / n, faults };
}

/** The same for `loadCollectionAsync` with `concurrency` program loads at once. */
async function oursAsync(
  bytes: Uint8Array,
  n: number,
  concurrency: number,
): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) (await loadCollectionAsync(bytes, { concurrency })).close();
  const wall = Number(process.hrtime.bigint() - start) / n;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: ((cpu.user + cpu.system) * 1e3) / n };
}

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
try {
  const src = join(dir, 'many.bpf.c');
  const obj = join(dir, 'many.bpf.o');
  writeFileSync(src, source());
  compileBpfC(src, obj);
  const bytes = new Uint8Array(readFileSync(obj));
  const harness = buildLibbpfLoad(dir);
  const bareC = join(dir, 'bare-prog-load');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', bareC, join(here, 'bare-prog-load.c')]);

  // libbpf's side runs in one process started now, before our warm-up, and asked for each round's
  // loads over a pipe: spawning it per round forked this process each time, and a fork
  // write-protects every page of the parent, so the next round of ours took ~50-200 extra page
  // faults per load (and ~1 ms of CPU) that are no part of loadCollection.
  const libbpf = await libbpfLoadServer(harness, obj);
  // Warm up both (page cache, libbpf's and our per-process probes) and let V8 finish compiling
  // the load path: each load runs most of its functions once, so TurboFan compiles them only after
  // ~100 loads, on background threads whose CPU time (and the second core) would otherwise be
  // measured with the first rounds (after 20 loads: ~2× the CPU time of the steady state).
  ours(bytes, WARMUP);
  ours(bytes, WARMUP / 4, CONCURRENCY);
  await oursAsync(bytes, WARMUP / 4, CONCURRENCY);
  await libbpf.time(1);

  const wallRatios: number[] = [];
  const cpuRatios: number[] = [];
  const oursWall: number[] = [];
  const oursCpu: number[] = [];
  const theirsWall: number[] = [];
  const theirsCpu: number[] = [];
  const floors: number[] = [];
  const oursFaults: number[] = [];
  const theirsFaults: number[] = [];
  const asyncWall: number[] = [];
  const asyncCpu: number[] = [];
  const asyncWallRatios: number[] = [];
  const asyncCpuRatios: number[] = [];
  const oneWall: number[] = [];
  const oneCpu: number[] = [];
  const oneWallRatios: number[] = [];
  const oneCpuRatios: number[] = [];
  const threadedWall: number[] = [];
  const threadedCpu: number[] = [];
  const threadedWallRatios: number[] = [];
  const threadedCpuRatios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const o = ours(bytes, LOADS);
    const t = await libbpf.time(LOADS);
    oursWall.push(o.wall);
    oursCpu.push(o.cpu);
    theirsWall.push(t.ns_per_load);
    theirsCpu.push(t.cpu_ns_per_load);
    oursFaults.push(o.faults);
    theirsFaults.push(t.minor_faults / LOADS);
    wallRatios.push(o.wall / t.ns_per_load);
    cpuRatios.push(o.cpu / t.cpu_ns_per_load);
    const h = ours(bytes, LOADS, CONCURRENCY);
    threadedWall.push(h.wall);
    threadedCpu.push(h.cpu);
    threadedWallRatios.push(h.wall / t.ns_per_load);
    threadedCpuRatios.push(h.cpu / t.cpu_ns_per_load);
    const a = await oursAsync(bytes, LOADS, CONCURRENCY);
    asyncWall.push(a.wall);
    asyncCpu.push(a.cpu);
    asyncWallRatios.push(a.wall / t.ns_per_load);
    asyncCpuRatios.push(a.cpu / t.cpu_ns_per_load);
    const p = await oursAsync(bytes, LOADS, 1);
    oneWall.push(p.wall);
    oneCpu.push(p.cpu);
    oneWallRatios.push(p.wall / t.ns_per_load);
    oneCpuRatios.push(p.cpu / t.cpu_ns_per_load);
  }
  await libbpf.close();
  // After the rounds: thousands of tiny program loads and frees are no part of theirs.
  for (let r = 0; r < ROUNDS; r++)
    floors.push(
      bareProgLoad(FLOOR_LOADS, returns(2)) /
        Number(execFileSync(bareC, [String(FLOOR_LOADS)], { encoding: 'utf8' })),
    );
  const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
  const floor = { what: 'bpf(BPF_PROG_LOAD) of 2 insns + close through koffi', ratio: median(floors) };
  console.log(
    `object: ${PROGRAMS} programs, ${MAPS} maps + .bss, ${bytes.byteLength} bytes; median of ${ROUNDS} rounds of ${LOADS} loads`,
  );
  console.log(
    `loadCollection + close:              wall ${ms(median(oursWall))}, CPU ${ms(median(oursCpu))}`,
  );
  console.log(
    `libbpf open_mem + load + close:      wall ${ms(median(theirsWall))}, CPU ${ms(median(theirsCpu))}`,
  );
  console.log(
    `ratio (median of rounds):            wall ${median(wallRatios).toFixed(2)}, CPU ${median(cpuRatios).toFixed(2)}`,
  );
  console.log(
    `loadCollection, threads: ${CONCURRENCY}: wall ${ms(median(threadedWall))}, CPU ${ms(median(threadedCpu))}; ratio wall ${median(threadedWallRatios).toFixed(2)}, CPU ${median(threadedCpuRatios).toFixed(2)}`,
  );
  console.log(
    `loadCollectionAsync, ${CONCURRENCY} helper threads: wall ${ms(median(asyncWall))}, CPU ${ms(median(asyncCpu))}; ratio wall ${median(asyncWallRatios).toFixed(2)}, CPU ${median(asyncCpuRatios).toFixed(2)}`,
  );
  console.log(
    `loadCollectionAsync, 1 helper thread: wall ${ms(median(oneWall))}, CPU ${ms(median(oneCpu))}; ratio wall ${median(oneWallRatios).toFixed(2)}, CPU ${median(oneCpuRatios).toFixed(2)}`,
  );
  console.log(
    `minor page faults per load:          ours ${median(oursFaults).toFixed(1)}, libbpf ${median(theirsFaults).toFixed(1)}`,
  );
  console.log(`koffi floor (${floor.what}): ${floor.ratio.toFixed(2)}`);
  const note = `median of ${ROUNDS} rounds × ${LOADS} loads after ${WARMUP} warm-up loads; median per-round ratio ${median(wallRatios).toFixed(3)} (wall), ${median(cpuRatios).toFixed(3)} (CPU); minor page faults per load ${median(oursFaults).toFixed(1)} vs ${median(theirsFaults).toFixed(1)}`;
  // A row of a load that runs programs at once (wall time) against libbpf's sequential load.
  const parallelRow = (
    name: string,
    how: string,
    m: { wall: number[]; cpu: number[]; wallRatios: number[]; cpuRatios: number[] },
  ): BenchFigure => ({
    name: `${name}, ${PROGRAMS} programs / ${MAPS} maps, ${how}`,
    unit: 'ms',
    value: median(m.wall) / 1e6,
    baseline: {
      name: 'libbpf bpf_object__open_mem + load + close (sequential)',
      value: median(theirsWall) / 1e6,
    },
    floor,
    note: `median per-round ratio ${median(m.wallRatios).toFixed(3)} (wall), ${median(m.cpuRatios).toFixed(3)} (CPU); process CPU ${(median(m.cpu) / 1e6).toFixed(2)} ms vs ${(median(theirsCpu) / 1e6).toFixed(2)} ms`,
  });
  const explained = (figure: BenchFigure, why: string): BenchFigure => ({
    ...figure,
    note: `${why}; ${figure.note}`,
  });
  const figures: BenchFigure[] = [
    {
      name: `loadCollection + close, ${PROGRAMS} programs / ${MAPS} maps`,
      unit: 'ms',
      value: median(oursWall) / 1e6,
      baseline: { name: 'libbpf bpf_object__open_mem + load + close', value: median(theirsWall) / 1e6 },
      goal: { maxRatio: 1.0 },
      floor,
      note,
    },
    {
      name: `loadCollection + close, ${PROGRAMS} programs / ${MAPS} maps, process CPU time`,
      unit: 'ms CPU',
      value: median(oursCpu) / 1e6,
      baseline: { name: 'libbpf bpf_object__open_mem + load + close', value: median(theirsCpu) / 1e6 },
      floor,
      note: `${note}; user + system time of the whole process (node's GC and compiler threads included)`,
    },
    explained(
      parallelRow('loadCollection + close', `threads: ${CONCURRENCY}`, {
        wall: threadedWall,
        cpu: threadedCpu,
        wallRatios: threadedWallRatios,
        cpuRatios: threadedCpuRatios,
      }),
      `the programs verified on ${CONCURRENCY} threads at once, this one and helper threads (an explicit option; the sequential row is the headline)`,
    ),
    explained(
      parallelRow('loadCollectionAsync + close', `${CONCURRENCY} helper threads`, {
        wall: asyncWall,
        cpu: asyncCpu,
        wallRatios: asyncWallRatios,
        cpuRatios: asyncCpuRatios,
      }),
      `the programs loaded by ${CONCURRENCY} helper threads while this thread awaits them (concurrency ${CONCURRENCY}: an explicit option; the sequential row is the headline)`,
    ),
    explained(
      parallelRow('loadCollectionAsync + close', '1 helper thread', {
        wall: oneWall,
        cpu: oneCpu,
        wallRatios: oneWallRatios,
        cpuRatios: oneCpuRatios,
      }),
      'concurrency 1: the programs loaded one after another by one helper thread while this thread awaits them',
    ),
    {
      name: `loadCollectionAsync + close, ${PROGRAMS} programs / ${MAPS} maps, ${CONCURRENCY} helper threads, process CPU time`,
      unit: 'ms CPU',
      value: median(asyncCpu) / 1e6,
      baseline: {
        name: 'libbpf bpf_object__open_mem + load + close (sequential)',
        value: median(theirsCpu) / 1e6,
      },
      floor,
      note: `median of ${ROUNDS} rounds × ${LOADS} loads after ${WARMUP} warm-up loads; median per-round ratio ${median(asyncCpuRatios).toFixed(3)} (CPU); user + system time of the whole process, worker threads included`,
    },
  ];
  reportBench('@ts-ebpf/elf', figures);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
