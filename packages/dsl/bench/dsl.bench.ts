/**
 * Throughput of assemble, disassemble, format and parse on a 1,000,000-instruction program
 * (best of several rounds; pure computation, so there is no C baseline: the goals are absolute).
 * Run: npx nx bench @ts-ebpf/dsl
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as d from '@ts-ebpf/dsl';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';

const { R0, R1, R2, R3, R10 } = d;
const N = Number(process.env.BENCH_N ?? 1_000_000);

function buildProgram(): d.Instruction[] {
  const pattern: d.Instruction[] = [
    d.mov(R0, 1),
    d.add(R1, R2),
    d.ldx('w', R3, R1, 4),
    d.stx('dw', R10, R3, -8),
    d.jgt(R1, 60, 2),
    d.atomic('add', 'dw', R10, R1, -16),
    d.be(R0, 32),
    d.ldImm64(R2, 0x123456789n),
    d.call(1),
    d.exit(),
  ];
  const out: d.Instruction[] = [];
  while (out.length < N) out.push(...pattern);
  return out.slice(0, N);
}

/** Prints and returns the rate of `N` instructions in `best` milliseconds. */
function logRate(name: string, best: number): number {
  const rate = N / (best / 1000);
  console.log(
    `${name.padEnd(12)} ${(rate / 1e6).toFixed(2).padStart(7)} M insn/s  (${best.toFixed(1)} ms for ${N} insns)`,
  );
  return rate;
}

function measure(name: string, fn: () => unknown, rounds = 5): number {
  fn(); // warm up
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return logRate(name, best);
}

/**
 * Like {@link measure}, but each round runs in a new job after a full garbage collection: the
 * output buffer `format` keeps weakly from its previous call is gone, so every round pays for a
 * fresh one (the first call's cost, or any call after the runtime took the memory back).
 */
async function measureCold(name: string, fn: () => unknown, rounds = 3): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  fn(); // warm up the code
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setImmediate(resolve)); // a new job: weak references may be cleared
    gc();
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return logRate(name, best);
}

const program = buildProgram();
const bytes = d.assemble(program);
const text = d.format(program);

console.log(`@ts-ebpf/dsl benchmark: ${N} instructions, ${bytes.length} bytes, node ${process.version}`);
const rate = (name: string, value: number, goal?: number, note?: string): BenchFigure => ({
  name,
  unit: 'M insn/s',
  value: value / 1e6,
  sense: 'higher-is-better',
  ...(goal === undefined ? {} : { goal: { minValue: goal } }),
  ...(note === undefined ? {} : { note }),
});
const figures: BenchFigure[] = [
  rate(
    'assemble',
    measure('assemble', () => d.assemble(program)),
  ),
  rate(
    'disassemble',
    measure('disassemble', () => d.disassemble(bytes)),
  ),
];
// Worst case for disassemble: every instruction distinct (no sharing of equal instructions).
const unique = d.assemble(Array.from({ length: N }, (_, i) => d.mov(R1, i * 7)));
figures.push(
  rate(
    'disassemble, every instruction distinct',
    measure('disasm-uniq', () => d.disassemble(unique)),
  ),
);
figures.push(
  rate(
    'format',
    measure('format', () => d.format(program), 3),
    5,
    'calls after the first reuse the output buffer of the call before',
  ),
);
figures.push(
  rate(
    'format, fresh output buffer',
    await measureCold('format-cold', () => d.format(program)),
    undefined,
    'each call after a full garbage collection, which takes the buffer the call before left',
  ),
);
figures.push(
  rate(
    'parse',
    measure('parse', () => d.parse(text), 3),
    2,
  ),
);
// Worst case for parse: every line reads as a distinct instruction (none can be shared).
const distinctForms = [
  (i: number) => d.mov(R0, i),
  (i: number) => d.add(R1, i),
  (i: number) => d.jgt(R1, i, 2),
  (i: number) => d.ldImm64(R2, BigInt(i) * 0x100000001n),
  (i: number) => d.st('w', R10, -8, i),
];
const distinctText = d.format(
  Array.from({ length: N }, (_, i) => distinctForms[i % distinctForms.length]!(i)),
);
figures.push(
  rate(
    'parse, every instruction distinct',
    measure('parse-uniq', () => d.parse(distinctText), 3),
    undefined,
    'no two lines read as equal instructions, so none are shared',
  ),
);
// Text the fast path does not read (a label on every line and `//` comments) goes the general way.
const general = text
  .split('\n')
  .map((line, i) => (line === '' ? line : `L${i}: ${line} // ${i}`))
  .join('\n');
figures.push(
  rate(
    'parse, every line labelled and commented',
    measure('parse-gen', () => d.parse(general), 3),
    undefined,
    'every line takes the general pattern-table path',
  ),
);
reportBench('@ts-ebpf/dsl', figures);
