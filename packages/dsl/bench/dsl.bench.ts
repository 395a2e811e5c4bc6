/**
 * Throughput of assemble, disassemble, format and parse on a 1,000,000-instruction program.
 * Run: npm run bench -w @ts-ebpf/dsl
 */
import * as d from '../src/index.js';

const { R0, R1, R2, R3, R10 } = d;
const N = 1_000_000;

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

function measure(name: string, fn: () => unknown, rounds = 5): number {
  fn(); // warm up
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  const rate = N / (best / 1000);
  console.log(
    `${name.padEnd(12)} ${(rate / 1e6).toFixed(2).padStart(7)} M insn/s  (${best.toFixed(1)} ms for ${N} insns)`,
  );
  return rate;
}

const program = buildProgram();
const bytes = d.assemble(program);
const text = d.format(program);

console.log(`@ts-ebpf/dsl benchmark: ${N} instructions, ${bytes.length} bytes, node ${process.version}`);
measure('assemble', () => d.assemble(program));
measure('disassemble', () => d.disassemble(bytes));
// Worst case for disassemble: every instruction distinct (no sharing of equal instructions).
const unique = d.assemble(Array.from({ length: N }, (_, i) => d.mov(R1, i * 7)));
measure('disasm-uniq', () => d.disassemble(unique));
measure('format', () => d.format(program), 3);
measure('parse', () => d.parse(text), 3);
