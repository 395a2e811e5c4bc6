/**
 * Load time of programs of 10, 1,000 and 100,000 instructions through @ts-ebpf/programs
 * versus the same BPF_PROG_LOAD from C (bench/load.c, compiled here with gcc, loading the
 * same bytes from a temp file), then attach + detach cycles per second for xdp (on a veth
 * in a scratch network namespace) and a tracepoint.
 *
 * Run as root: `npm run bench -w @ts-ebpf/programs`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfProgType } from '@ts-ebpf/syscall';
import { attachTracepoint, attachXdp, inNetns, netnsPath, Program } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

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

function timeTs(insns: Uint8Array, iterations: number): number {
  Program.load({ type: BpfProgType.XDP, instructions: insns }).close(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) Program.load({ type: BpfProgType.XDP, instructions: insns }).close();
  return Number(process.hrtime.bigint() - start) / iterations;
}

function cycles(seconds: number, fn: () => void): number {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    fn();
    n++;
  }
  return n / seconds;
}

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`);

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
const ns = `tsebpf-bench-${process.pid}`;
try {
  const cBin = join(dir, 'load');
  execFileSync('gcc', ['-O2', '-o', cBin, join(here, 'load.c')]);
  console.log('BPF_PROG_LOAD (xdp, straight-line code), mean per load + close (best of 3 rounds):');
  console.log('  insns      ts-ebpf      C        ratio');
  for (const [n, iterations] of [
    [10, 2000],
    [1000, 500],
    [100_000, 10],
  ] as const) {
    const insns = straightLine(n);
    const file = join(dir, `prog-${n}.bin`);
    writeFileSync(file, insns);
    const c = Number(
      execFileSync(cBin, [file, String(BpfProgType.XDP), String(iterations)], { encoding: 'utf8' }),
    );
    const ts = timeTs(insns, iterations);
    console.log(
      `  ${String(n).padStart(7)}  ${fmt(ts).padStart(10)} ${fmt(c).padStart(10)}   ${(ts / c).toFixed(2)}`,
    );
  }

  using xdp = Program.load({ type: BpfProgType.XDP, instructions: straightLine(2) });
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'bench0', 'type', 'veth', 'peer', 'name', 'bench1']);
  const xdpRate = inNetns(netnsPath(ns), () => cycles(1, () => attachXdp(xdp, 'bench0').close()));
  const xdpNetlink = inNetns(netnsPath(ns), () =>
    cycles(1, () => attachXdp(xdp, 'bench0', { via: 'netlink', mode: 'skb' }).close()),
  );
  using tp = Program.load({ type: BpfProgType.TRACEPOINT, instructions: straightLine(2) });
  const tpRate = cycles(1, () => attachTracepoint(tp, 'syscalls', 'sys_enter_getpid').close());
  console.log('attach + detach cycles per second:');
  console.log(`  xdp (bpf_link)           ${xdpRate.toFixed(0)}/s`);
  console.log(`  xdp (netlink, skb mode)  ${xdpNetlink.toFixed(0)}/s`);
  console.log(`  tracepoint (perf link)   ${tpRate.toFixed(0)}/s`);
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
