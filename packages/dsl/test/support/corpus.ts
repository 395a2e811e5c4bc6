import { seededRandom } from '@ts-ebpf/test-utils';
import type { Instruction, Register } from '../../src/index.js';
import * as d from '../../src/index.js';

const { R0, R1, R2, R3, R4, R5, R6, R9, R10 } = d;
const IMMS = [0, 1, -1, 60, 0x7fffffff, -0x80000000, 4096];
const OFFS = [0, 4, -8, 0x7fff, -0x8000];
const REGS: Register[] = [R0, R1, R5, R9];

type Alu = (dst: Register, src: Register | number) => Instruction;
type Jmp = (dst: Register, src: Register | number, t: number) => Instruction;

/** The 64-bit arithmetic builders that take a register or an immediate. */
export const ALU64: Alu[] = [
  d.add,
  d.sub,
  d.mul,
  d.div,
  d.sdiv,
  d.mod,
  d.smod,
  d.or,
  d.and,
  d.xor,
  d.lsh,
  d.rsh,
  d.arsh,
  d.mov,
];
const ALU32: Alu[] = [
  d.add32,
  d.sub32,
  d.mul32,
  d.div32,
  d.sdiv32,
  d.mod32,
  d.smod32,
  d.or32,
  d.and32,
  d.xor32,
  d.lsh32,
  d.rsh32,
  d.arsh32,
  d.mov32,
];
/** The 64-bit conditional jump builders. */
export const JMP: Jmp[] = [d.jeq, d.jne, d.jgt, d.jge, d.jlt, d.jle, d.jset, d.jsgt, d.jsge, d.jslt, d.jsle];
const JMP32: Jmp[] = [
  d.jeq32,
  d.jne32,
  d.jgt32,
  d.jge32,
  d.jlt32,
  d.jle32,
  d.jset32,
  d.jsgt32,
  d.jsge32,
  d.jslt32,
  d.jsle32,
];
const SIZES = ['b', 'h', 'w', 'dw'] as const;

/** Instructions of every class in forms that llvm-mc's BPF assembler also accepts. */
export function llvmCompatibleCorpus(): Instruction[] {
  const out: Instruction[] = [];
  for (const op of [...ALU64, ...ALU32]) {
    REGS.forEach((dst, i) => {
      out.push(op(dst, REGS[(i + 1) % REGS.length]!));
      out.push(op(dst, IMMS[i % IMMS.length]!));
    });
    for (const imm of IMMS) out.push(op(R3, imm));
  }
  for (const dst of REGS) out.push(d.neg(dst), d.neg32(dst));
  for (const bits of [8, 16, 32] as const) out.push(d.movsx(R1, R2, bits));
  for (const bits of [8, 16] as const) out.push(d.movsx32(R1, R2, bits));
  for (const bits of [16, 32, 64] as const) out.push(d.le(R1, bits), d.be(R2, bits), d.bswap(R3, bits));
  for (const off of [0, 1, -1, 0x7fff, -0x8000]) out.push(d.ja(off));
  for (const imm of [0, 5, -5, 0x7fff, -0x8000]) out.push(d.gotol(imm));
  for (const op of [...JMP, ...JMP32]) {
    out.push(op(R1, R2, 3), op(R9, R10, -4), op(R1, 60, 1), op(R0, -5, 0x7fff), op(R2, 0x7fffffff, -0x8000));
  }
  for (const id of [1, 2, 6, 209]) out.push(d.call(id));
  out.push(d.exit());
  for (const size of SIZES) {
    for (const off of OFFS) {
      out.push(
        d.ldx(size, R0, R1, off),
        d.stx(size, R10, R2, off),
        d.st(size, R10, off, IMMS[SIZES.indexOf(size)]!),
      );
      if (size !== 'dw') out.push(d.ldxs(size, R3, R10, off));
    }
  }
  for (const size of ['w', 'dw'] as const) {
    for (const op of ['add', 'or', 'and', 'xor'] as const) {
      out.push(d.atomic(op, size, R10, R1, -8), d.atomic(op, size, R2, R3, 16, true));
    }
    out.push(d.xchg(size, R10, R1, -8), d.cmpxchg(size, R2, R3, 0x7fff));
  }
  for (const v of [0n, 1n, -1n, 0x123456789n, 1n << 63n, 0xffffffffn, 0x7fffffff80000000n]) {
    out.push(d.ldImm64(R1, v));
  }
  for (const size of ['b', 'h', 'w'] as const) out.push(d.ldAbs(size, 14), d.ldInd(size, R1));
  return out;
}

/** Forms llvm-mc spells differently or not at all, with their expected encodings (little-endian hex). */
export const DIRECT_ENCODINGS: readonly [Instruction, string][] = [
  // llvm-mc 19 parses gotol's operand as a 16-bit integer; the encoding has 32 bits.
  [d.gotol(0x7fffffff), '06000000ffffff7f'],
  [d.gotol(-0x80000000), '0600000000000080'],
  // llvm-mc 19 has no load-acquire / store-release (LLVM 20+); kernel commit 880442305a39 gives these.
  [d.loadAcquire('dw', R0, R1, 0), 'db10000000010000'],
  [d.storeRelease('h', R1, R2, 0), 'cb21000010010000'],
  [d.loadAcquire('b', R3, R10, -8), 'd3a3f8ff00010000'],
  [d.storeRelease('w', R10, R1, -4), 'c31afcff10010000'],
  // llvm only accepts skb[rN]; the kernel prints skb[rN + imm].
  [d.ldInd('w', R2, 8), '4020000008000000'],
  // ld_imm64 pseudo forms: llvm writes relocations, the kernel reads src_reg.
  [d.ldMapFd(R1, { fd: 7 }), '18110000070000000000000000000000'],
  [d.ldMapValue(R2, { fd: 7 }, 16), '18220000070000000000000010000000'],
  [d.ldBtfId(R3, 1234), '18330000d20400000000000000000000'],
  [d.ldFunc(R4, 3), '18440000030000000000000000000000'],
  [d.ldMapIdx(R5, 2), '18550000020000000000000000000000'],
  [d.ldMapIdxValue(R6, 2, 8), '18660000020000000000000008000000'],
  // llvm encodes calls to labels with a fixup; these are the resolved forms.
  [d.callLocal(-3), '85100000fdffffff'],
  [d.callKfunc(1234, 1), '85200100d2040000'],
];

/** A small deterministic PRNG, so random corpora are the same on every run. */
export const prng = seededRandom;

/** `count` random llvm-compatible instructions: random registers, immediates and offsets. */
export function randomCorpus(count: number, seed = 1): Instruction[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const regs = d.REGISTERS.slice(0, 10);
  const reg = () => pick(regs);
  const any = () => pick(d.REGISTERS);
  const imm = () => Math.floor(rnd() * 2 ** 32) - 2 ** 31;
  const off = () => Math.floor(rnd() * 2 ** 16) - 2 ** 15;
  const size = () => pick(SIZES);
  const makers: (() => Instruction)[] = [
    () => pick([...ALU64, ...ALU32])(reg(), rnd() < 0.5 ? any() : imm()),
    () => pick([d.neg, d.neg32])(reg()),
    () => d.movsx(reg(), any(), pick([8, 16, 32] as const)),
    () => d.movsx32(reg(), any(), pick([8, 16] as const)),
    () => pick([d.le, d.be, d.bswap])(reg(), pick([16, 32, 64] as const)),
    () => d.ja(off()),
    () => d.gotol(off()),
    () => pick([...JMP, ...JMP32])(any(), rnd() < 0.5 ? any() : imm(), off()),
    () => d.call(Math.floor(rnd() * 212)),
    () => d.ldx(size(), reg(), any(), off()),
    () => d.ldxs(pick(['b', 'h', 'w'] as const), reg(), any(), off()),
    () => d.stx(size(), any(), any(), off()),
    () => d.st(size(), any(), off(), imm()),
    () =>
      d.atomic(
        pick(['add', 'or', 'and', 'xor'] as const),
        pick(['w', 'dw'] as const),
        any(),
        reg(),
        off(),
        rnd() < 0.5,
      ),
    () => d.xchg(pick(['w', 'dw'] as const), any(), reg(), off()),
    () => d.cmpxchg(pick(['w', 'dw'] as const), any(), any(), off()),
    () => d.ldImm64(reg(), BigInt.asIntN(64, (BigInt(imm()) << 32n) | BigInt(imm() >>> 0))),
    () => d.ldAbs(pick(['b', 'h', 'w'] as const), imm()),
    () => d.ldInd(pick(['b', 'h', 'w'] as const), any()),
  ];
  return Array.from({ length: count }, () => pick(makers)());
}
