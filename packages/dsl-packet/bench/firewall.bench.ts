/**
 * The XDP firewall built with dsl-packet against the same logic in C compiled by
 * clang-19 -O2: instruction count, instructions the verifier processed, and test-run
 * ns/packet (BPF_PROG_TEST_RUN with repeat) per packet class. Goal: within 1.1x of clang.
 * The figures go to the benchmark page (`reportBench`).
 *
 * Run as root: `npx nx bench @ts-ebpf/dsl-packet` (`BENCH_REPEAT`, `BENCH_ROUNDS` override
 * the test-run repeat and the number of rounds).
 */
import { assemble } from '@ts-ebpf/dsl';
import { close, progTestRun } from '@ts-ebpf/syscall';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { compileFirewall, relocateFirewall } from './c-firewall.js';
import { firewall } from './firewall.js';
import { closeFirewallMaps, createFirewallMaps, loadXdp, PACKETS } from './harness.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const GOAL = { maxRatio: 1.1 };
const CLANG = 'clang-19 -O2, same logic in C';

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

function row(name: string, m: { c: number; d: number; cw: number; dw: number }): void {
  const kernel = `kernel clang ${String(m.c).padStart(3)} dsl ${String(m.d).padStart(3)} ${ratio(m.d, m.c)}`;
  const wall = `wall clang ${m.cw.toFixed(1).padStart(5)} dsl ${m.dw.toFixed(1).padStart(5)} ${ratio(m.dw, m.cw)}`;
  console.log(`    ${name.padEnd(32)} ${kernel}   ${wall}`);
}

const maps = createFirewallMaps();
const fds: number[] = [];
try {
  const cCode = relocateFirewall(compileFirewall(), maps);
  const dslCode = assemble(firewall(maps, HOST_BYTE_ORDER).instructions, { byteOrder: HOST_BYTE_ORDER });
  const c = loadXdp(cCode, 'fw_clang');
  fds.push(c.fd);
  const d = loadXdp(dslCode, 'fw_dsl_packet');
  fds.push(d.fd);
  const cInsns = cCode.byteLength / 8;
  const dInsns = dslCode.byteLength / 8;
  console.log('XDP firewall: dsl-packet vs clang-19 -O2 (ratio = dsl-packet / clang; goal <= 1.10x)');
  console.log(`  instructions           clang ${cInsns}   dsl-packet ${dInsns}   ${ratio(dInsns, cInsns)}`);
  console.log(
    `  verifier processed     clang ${c.processed}   dsl-packet ${d.processed}   ${ratio(d.processed, c.processed)}`,
  );
  console.log(`  test-run ns/packet, repeat ${REPEAT}, median of ${ROUNDS} alternating rounds:`);
  console.log('    kernel = the duration BPF_PROG_TEST_RUN reports (whole ns, time preempted excluded);');
  console.log(
    '    wall = wall time of the call / repeat (counts preemption by other load on this shared machine)',
  );
  const figures: BenchFigure[] = [
    {
      name: 'XDP firewall: instructions',
      unit: 'insns',
      value: dInsns,
      baseline: { name: CLANG, value: cInsns },
      goal: GOAL,
    },
    {
      name: 'XDP firewall: instructions the verifier processed',
      unit: 'insns',
      value: d.processed,
      baseline: { name: CLANG, value: c.processed },
      goal: GOAL,
    },
  ];
  const kernelNote = `BPF_PROG_TEST_RUN duration, repeat ${REPEAT}, median of ${ROUNDS} alternating rounds`;
  const sums = { c: 0, d: 0, cw: 0, dw: 0 };
  for (const p of PACKETS) {
    const t = { c: [] as number[], d: [] as number[], cw: [] as number[], dw: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [key, fd] of [
        ['c', c.fd],
        ['d', d.fd],
      ] as const) {
        const start = process.hrtime.bigint();
        const run = progTestRun({ progFd: fd, dataIn: p.frame, repeat: REPEAT });
        const wall = Number(process.hrtime.bigint() - start) / REPEAT;
        if (run.retval !== p.verdict)
          throw new Error(`${key === 'c' ? 'clang' : 'dsl-packet'} gave ${run.retval} for ${p.name}`);
        t[key].push(run.duration);
        t[key === 'c' ? 'cw' : 'dw'].push(wall);
      }
    }
    const m = { c: median(t.c), d: median(t.d), cw: median(t.cw), dw: median(t.dw) };
    for (const k of ['c', 'd', 'cw', 'dw'] as const) sums[k] += m[k];
    row(p.name, m);
    figures.push({
      name: `XDP firewall test run, ${p.name}`,
      unit: 'ns/packet',
      value: m.d,
      baseline: { name: CLANG, value: m.c },
      note: kernelNote,
    });
  }
  row('all classes (sum)', sums);
  figures.push(
    {
      name: 'XDP firewall test run, all packet classes (sum)',
      unit: 'ns/packet',
      value: sums.d,
      baseline: { name: CLANG, value: sums.c },
      goal: GOAL,
      note: kernelNote,
    },
    {
      name: 'XDP firewall test run, all packet classes (sum), wall clock',
      unit: 'ns/packet',
      value: sums.dw,
      baseline: { name: CLANG, value: sums.cw },
      note: 'wall time of the call / repeat: counts preemption by other load on the machine',
    },
  );
  reportBench('@ts-ebpf/dsl-packet', figures);
} finally {
  for (const fd of fds) close(fd);
  closeFirewallMaps(maps);
}
