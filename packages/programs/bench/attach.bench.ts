/**
 * Attach + detach cycles: an XDP bpf_link and an XDP netlink (IFLA_XDP, skb mode) attach on a veth
 * in a scratch network namespace, and a tracepoint (perf event + bpf_link) — ours against libbpf
 * in the same run (bench/attach.c: `bpf_program__attach_xdp`, `bpf_xdp_attach` + `bpf_xdp_detach`,
 * `bpf_program__attach_tracepoint`, each with `bpf_link__destroy`), and the koffi call floor: the
 * same kernel entries called bare through koffi against C (`BPF_LINK_CREATE` + close; perf_event_open +
 * `BPF_LINK_CREATE` + two closes; for netlink, libbpf's own rtnetlink calls made bare through koffi
 * against libbpf's loop).
 *
 * What both sides do per cycle: both pass the interface's ifindex, looked up once before timing (as
 * a libbpf caller does with if_nametoindex; `attachXdp` takes an ifindex or a name, and a name costs
 * one SIOCGIFINDEX per attach); both read the tracepoint id from tracefs each attach. Each program
 * is the same kind on both sides (ours loaded by Program.load, libbpf's from a clang-compiled
 * object); the kernel work of an attach does not depend on which.
 *
 * The environment floor: the same libbpf loops built as a shared object and run inside this node
 * process (../../syscall/bench/in-process.ts; in the scratch namespace for the xdp modes, as ours
 * runs), against the standalone executable: what the node process itself costs the kernel.
 *
 * Rounds alternate which side goes first (ours in even rounds, C in odd ones); the ratio of each
 * round is taken and the median reported, and printed per order.
 *
 * Each sample lasts about BENCH_SAMPLE_MS: a mode's cycle count is calibrated from its warm-up
 * (an xdp cycle takes ~0.4 ms, a tracepoint cycle ~50 ms). A sample of a few milliseconds is at
 * the mercy of one slow RCU grace period: at 20 xdp cycles per sample, repeated runs of the same
 * code gave ratios from 0.8× to 1.3×.
 * Run as root: `npx nx bench @ts-ebpf/programs` (gcc, clang-19, libbpf and iproute2 installed).
 * BENCH_ROUNDS (default 9) and BENCH_SAMPLE_MS (default 150; at least 10 cycles a sample) set the
 * size, BENCH_CYCLES fixes the cycles per sample instead; BENCH_MODES (e.g. `xdp-link,xdp-netlink`)
 * runs only those of the modes xdp-link, xdp-netlink and tracepoint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  attachTracepoint,
  attachXdp,
  ifindex,
  inNetns,
  netnsPath,
  Program,
  tracepointId,
} from '@ts-ebpf/programs';
import { BpfProgType, ensureTracefs } from '@ts-ebpf/syscall';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { returns } from '@ts-ebpf/test-utils/programs';
import { median } from '@ts-ebpf/test-utils/stats';
import { benchFunction, buildBenchLibrary } from '../../syscall/bench/in-process.js';
import { bareAttachCalls } from '../../syscall/bench/koffi-floor.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 150);
const FIXED_CYCLES = process.env.BENCH_CYCLES === undefined ? undefined : Number(process.env.BENCH_CYCLES);
if (FIXED_CYCLES !== undefined && !(Number.isInteger(FIXED_CYCLES) && FIXED_CYCLES > 0))
  throw new Error(`BENCH_CYCLES: ${JSON.stringify(process.env.BENCH_CYCLES)} is not a positive integer`);
const MIN_CYCLES = 10;
const MODES = process.env.BENCH_MODES?.split(',');

const IFNAME = 'bench0';

const BPF_SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("xdp") int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tracepoint/syscalls/sys_enter_getpid") int tp_getpid(void *ctx) { return 0; }
`;

/** Mean ns per call of `fn` over `n` calls. */
function perCycle(n: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
const ns = `tsebpf-attach-${process.pid}`;
try {
  const cBin = join(dir, 'attach');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', cBin, join(here, 'attach.c'), '-lbpf']);
  const library = buildBenchLibrary(join(here, 'attach.c'), join(dir, 'libattach.so'), ['-lbpf']);
  const attachLoop = benchFunction(
    library,
    'long long attach_loop(const char *object, const char *mode, long n, const char *ifname)',
  );
  const attachError = benchFunction<string>(library, 'const char *attach_error(void)');
  const obj = join(dir, 'attach.bpf.o');
  writeFileSync(join(dir, 'attach.bpf.c'), BPF_SOURCE);
  compileBpfC(join(dir, 'attach.bpf.c'), obj);
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', IFNAME, 'type', 'veth', 'peer', 'name', 'bench1']);
  ensureTracefs();
  const tpId = tracepointId('syscalls', 'sys_enter_getpid');
  using xdp = Program.load({ type: BpfProgType.XDP, instructions: returns(2) });
  using tp = Program.load({ type: BpfProgType.TRACEPOINT, instructions: returns(0) });
  const bare = bareAttachCalls();

  /** C's ns per cycle of `mode` over `cycles` cycles (in the namespace for the xdp modes). */
  const c = (mode: string, cycles: number): number => {
    const args = [join(dir, 'attach'), obj, mode, String(cycles)];
    const inNs = mode.includes('xdp');
    const out = inNs
      ? execFileSync('ip', ['netns', 'exec', ns, ...args, IFNAME], { encoding: 'utf8' })
      : execFileSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    const r = JSON.parse(out) as { ns_per_cycle?: number; error?: string; errno?: number };
    if (r.ns_per_cycle === undefined) throw new Error(`attach ${mode}: ${r.error} (errno ${r.errno})`);
    return r.ns_per_cycle;
  };
  const inside = <T>(fn: () => T): T => inNetns(netnsPath(ns), fn);
  /** The same libbpf loop as `c`, inside this process (and this thread in the namespace for xdp). */
  const cHere = (mode: string, cycles: number): number => {
    const run = () => attachLoop(obj, mode, cycles, mode.includes('xdp') ? IFNAME : null);
    const ns = mode.includes('xdp') ? inside(run) : run();
    if (ns < 0) throw new Error(`attach_loop ${mode} in this process: ${attachError()} (errno ${-ns})`);
    return ns;
  };
  const xdpIfindex = inside(() => ifindex(IFNAME));

  const modes = [
    {
      name: 'attach + detach, xdp link',
      c: 'xdp-link',
      ours: (n: number) => inside(() => perCycle(n, () => attachXdp(xdp, xdpIfindex).close())),
      note: 'both sides pass the ifindex, looked up once',
      bareC: 'bare-xdp-link',
      bare: (n: number) => inside(() => perCycle(n, () => bare.xdpLink(xdp.fd, xdpIfindex))),
      floorWhat: 'bpf(BPF_LINK_CREATE, BPF_XDP) + close through koffi',
    },
    {
      name: 'attach + detach, xdp netlink (skb mode)',
      c: 'xdp-netlink',
      ours: (n: number) =>
        inside(() => perCycle(n, () => attachXdp(xdp, xdpIfindex, { via: 'netlink', mode: 'skb' }).close())),
      note: 'both sides pass the ifindex, looked up once; one rtnetlink request each way',
      bareC: 'xdp-netlink',
      bare: (n: number) => inside(() => perCycle(n, () => bare.xdpNetlink(xdp.fd, xdpIfindex))),
      floorWhat:
        "libbpf's rtnetlink calls (socket, setsockopt, bind, getsockname, send, 2 recv, close; twice) through koffi",
    },
    {
      name: 'attach + detach, tracepoint (perf link)',
      c: 'tracepoint',
      ours: (n: number) => perCycle(n, () => attachTracepoint(tp, 'syscalls', 'sys_enter_getpid').close()),
      bareC: 'bare-tracepoint',
      bare: (n: number) => perCycle(n, () => bare.tracepoint(tp.fd, tpId)),
      floorWhat: 'perf_event_open + bpf(BPF_LINK_CREATE, BPF_PERF_EVENT) + 2 close through koffi',
      note: 'both sides read the tracepoint id from tracefs each attach',
    },
  ];

  const unknownModes = MODES?.filter((name) => !modes.some((m) => m.c === name)) ?? [];
  if (unknownModes.length > 0)
    throw new Error(
      `BENCH_MODES: no mode ${unknownModes.map((n) => JSON.stringify(n)).join(', ')}; the modes are ${modes.map((m) => m.c).join(', ')}`,
    );
  const figures: BenchFigure[] = [];
  console.log(
    `attach + detach, µs per cycle: median of ${ROUNDS} rounds, ${FIXED_CYCLES === undefined ? `samples of ~${SAMPLE_MS} ms` : `${FIXED_CYCLES} cycles a sample`}`,
  );
  console.log(
    '  what                                        ts-ebpf    libbpf   ratio   ours first / C first   libbpf in this process   floor',
  );
  for (const m of modes) {
    if (MODES && !MODES.includes(m.c)) continue;
    // Warm up (optimised code), then time the cycles a sample takes from a second, warm run.
    m.ours(MIN_CYCLES);
    const warmup = m.ours(MIN_CYCLES);
    const CYCLES = FIXED_CYCLES ?? Math.max(MIN_CYCLES, Math.ceil((SAMPLE_MS * 1e6) / warmup));
    const ours: number[] = [];
    const theirs: number[] = [];
    const here: number[] = [];
    const ratios: number[] = [];
    const floors: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // ours first in even rounds, C first in odd ones: an order or warm-up bias shows as a split.
      let o: number;
      let t: number;
      if (r % 2 === 0) {
        o = m.ours(CYCLES);
        here.push(cHere(m.c, CYCLES));
        t = c(m.c, CYCLES);
      } else {
        t = c(m.c, CYCLES);
        here.push(cHere(m.c, CYCLES));
        o = m.ours(CYCLES);
      }
      ours.push(o);
      theirs.push(t);
      ratios.push(o / t);
      if (m.bare && m.bareC) floors.push(m.bare(CYCLES) / c(m.bareC, CYCLES));
    }
    const ratio = median(ratios);
    const floor = floors.length ? median(floors) : undefined;
    const byOrder = (first: 0 | 1) => median(ratios.filter((_, i) => i % 2 === first)).toFixed(2);
    const hereRatio = median(here.map((h, i) => h / theirs[i]!));
    console.log(
      `  ${m.name.padEnd(42)} ${(median(ours) / 1e3).toFixed(0).padStart(8)} ${(median(theirs) / 1e3)
        .toFixed(0)
        .padStart(9)}   ${ratio.toFixed(2)}   ${byOrder(0)} / ${byOrder(1)}            ${(median(here) / 1e3)
        .toFixed(0)
        .padStart(8)} (${hereRatio.toFixed(2)})        ${floor === undefined ? '—' : floor.toFixed(2)}`,
    );
    figures.push({
      name: m.name,
      unit: 'µs/cycle',
      value: median(ours) / 1e3,
      baseline: { name: `libbpf (${m.c})`, value: median(theirs) / 1e3 },
      goal: { maxRatio: 1.1 },
      ...(floor !== undefined && m.floorWhat ? { floor: { what: m.floorWhat, ratio: floor } } : {}),
      note: `median of ${ROUNDS} rounds × ${CYCLES} cycles; median per-round ratio ${ratio.toFixed(3)}; the libbpf loop inside this node process ${hereRatio.toFixed(3)}× the standalone one; ${m.note}`,
    });
    figures.push({
      name: `libbpf ${m.name} inside this node process`,
      unit: 'µs/cycle',
      value: median(here) / 1e3,
      baseline: { name: `the same libbpf loop (${m.c}) as its own executable`, value: median(theirs) / 1e3 },
      note: `the environment floor of "${m.name}": attach.c built as a shared object, its loop called once per round through koffi; median per-round ratio ${hereRatio.toFixed(3)}; median of ${ROUNDS} rounds × ${CYCLES} cycles`,
    });
  }
  reportBench('@ts-ebpf/programs', figures);
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
