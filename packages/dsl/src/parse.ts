import { ldImm64 } from './builders/ldimm64.js';
import { ParseError } from './errors.js';
import { findHelper } from './helpers.js';
import { type Instruction, type InstructionFields, makeInstruction, withImmBits } from './instruction.js';
import { InstructionCache } from './instruction-cache.js';
import { mark } from './labels.js';
import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LD_IMM64,
  Mode,
  PseudoCall,
  PseudoLd,
  Size,
  Source,
} from './opcodes.js';
import { parseCommonStatement } from './parse-fast.js';
import { attachTextLabels, Items, lineCount, lineStatements, withoutBlockComments } from './parse-lines.js';
import { IDENT, normalize, parseBig, parseNum } from './parse-operands.js';
import { ALU_OPS, ATOMIC_OPS, ATOMIC_SYMS, JUMP_OPS, P, RHS, SIZES, SX_SIZES } from './parse-patterns.js';
import { reg } from './registers.js';

class Fail extends Error {}

function r(n: string): number {
  const num = Number(n);
  if (num > 10) throw new Fail(`no register r${n}`);
  return reg(num).num;
}

function cls64(prefix: string, wide: number, narrow: number): number {
  return prefix === 'r' ? wide : narrow;
}

function sameWidth(a: string, b: string | undefined): void {
  if (b !== undefined && a !== b) throw new Fail('mixes 32-bit (w) and 64-bit (r) registers');
}

function target(text: string): { off?: number; target?: string } {
  return /^[-+\d]/.test(text) ? { off: parseNum(text) } : { target: text };
}

function off(text: string | undefined): number {
  return text === undefined ? 0 : parseNum(text);
}

/** A pattern, the characters a matching statement can start with (a cheap pre-filter), and a builder. */
type Rule<C> = readonly [string, RegExp, (m: RegExpExecArray, ctx: C) => InstructionFields];

function match<C>(rules: readonly Rule<C>[], s: string, ctx: C): InstructionFields | undefined {
  const first = s[0] ?? '';
  for (const [starts, pattern, build] of rules) {
    if (!starts.includes(first)) continue;
    const m = pattern.exec(s);
    if (m) return build(m, ctx);
  }
  return undefined;
}

const CALL = Class.JMP | JmpOp.CALL;
const DIGITS = '-+0123456789';

const STATEMENTS: readonly Rule<string>[] = [
  ['e', /^exit$/, () => ({ code: Class.JMP | JmpOp.EXIT })],
  [
    'rw',
    P.alu,
    (m) => {
      const [op, sdiv] = ALU_OPS[m[3]!]!;
      sameWidth(m[1]!, m[4]);
      const code = cls64(m[1]!, Class.ALU64, Class.ALU) | op;
      if (m[4] !== undefined) return { code: code | Source.X, dst: r(m[2]!), src: r(m[5]!), off: sdiv };
      return { code, dst: r(m[2]!), imm: parseNum(m[6]!), off: sdiv };
    },
  ],
  [
    'i',
    P.jcond,
    (m) => {
      sameWidth(m[1]!, m[4]);
      const code = cls64(m[1]!, Class.JMP, Class.JMP32) | JUMP_OPS[m[3]!]!;
      const t = target(m[7]!);
      if (m[4] !== undefined) return { code: code | Source.X, dst: r(m[2]!), src: r(m[5]!), ...t };
      return { code, dst: r(m[2]!), imm: parseNum(m[6]!), ...t };
    },
  ],
  [
    'g',
    P.goto,
    (m) => {
      const t = target(m[2]!);
      if (m[1] === undefined) return { code: Class.JMP | JmpOp.JA, ...t };
      const code = Class.JMP32 | JmpOp.JA;
      return t.target !== undefined ? { code, target: t.target } : { code, imm: t.off ?? 0 };
    },
  ],
  [
    'c',
    P.call,
    (m, s) =>
      s.includes('pc')
        ? { code: CALL, src: PseudoCall.CALL, imm: parseNum(m[1]!) }
        : { code: CALL, imm: parseNum(m[1]!) },
  ],
  ['c', P.kfunc, (m) => ({ code: CALL, src: PseudoCall.KFUNC, imm: parseNum(m[1]!), off: off(m[2]) })],
  [
    'c',
    P.callName,
    (m) => {
      // `call name#N` is how the kernel lists a call: N is the immediate as loaded (the helper
      // id in the verifier log, a rewritten address in `bpftool prog dump xlated`).
      if (m[2] !== undefined) return { code: CALL, imm: parseNum(m[2]) };
      const helper = findHelper(m[1]!);
      if (helper) return { code: CALL, imm: helper.id };
      return { code: CALL, src: PseudoCall.CALL, target: m[1]! };
    },
  ],
  [
    'l',
    P.lock,
    (m) => {
      const imm = ATOMIC_SYMS[m[4]!];
      if (imm === undefined) throw new Fail('atomic operation must be +=, |=, &= or ^=');
      const code = Class.STX | Mode.ATOMIC | memSize(m[1]!);
      return { code, dst: r(m[2]!), src: r(m[6]!), off: off(m[3]), imm };
    },
  ],
  [
    's',
    P.storeRel,
    (m) => {
      const code = Class.STX | Mode.ATOMIC | memSize(m[1]!);
      return { code, dst: r(m[2]!), src: r(m[5]!), off: off(m[3]), imm: AtomicOp.STORE_REL };
    },
  ],
  [
    '*',
    P.store,
    (m) => {
      const size = memSize(m[1]!);
      if (m[4] !== undefined)
        return { code: Class.STX | Mode.MEM | size, dst: r(m[2]!), src: r(m[5]!), off: off(m[3]) };
      return { code: Class.ST | Mode.MEM | size, dst: r(m[2]!), off: off(m[3]), imm: parseNum(m[6]!) };
    },
  ],
  [
    'rw',
    P.assign,
    (m) => {
      const ctx = { p: m[1]!, dst: r(m[2]!) };
      const fields = match(ASSIGNMENTS, m[3]!, ctx);
      if (fields === undefined) throw new Fail('unrecognised instruction');
      return fields;
    },
  ],
];

function memSize(name: string): number {
  const size = SIZES[name];
  if (size === undefined) throw new Fail(`${name} is not a size for this instruction (u8, u16, u32, u64)`);
  return size;
}

interface AssignCtx {
  p: string;
  dst: number;
}

function atomicCode(width: string): number {
  return Class.STX | Mode.ATOMIC | (width === '_64' ? Size.DW : Size.W);
}

const LD64 = { code: LD_IMM64, imm2: 0 };

const ASSIGNMENTS: readonly Rule<AssignCtx>[] = [
  [
    '*',
    RHS.load,
    (m, { dst }) => {
      const sx = SX_SIZES[m[1]!];
      const code = Class.LDX | (sx !== undefined ? Mode.MEMSX | sx : Mode.MEM | memSize(m[1]!));
      return { code, dst, src: r(m[2]!), off: off(m[3]) };
    },
  ],
  [
    '*',
    RHS.skb,
    (m, { dst }) => {
      const size = memSize(m[1]!);
      if (dst !== 0) throw new Fail('packet loads are r0 = *(u8|u16|u32 *)skb[...]');
      if (m[2] === undefined) return { code: Class.LD | Mode.ABS | size, imm: off(m[3]) };
      return { code: Class.LD | Mode.IND | size, src: r(m[2]), imm: off(m[3]) };
    },
  ],
  [
    'l',
    RHS.loadAcq,
    (m, { dst }) => {
      const code = Class.STX | Mode.ATOMIC | memSize(m[1]!);
      return { code, dst, src: r(m[2]!), off: off(m[3]), imm: AtomicOp.LOAD_ACQ };
    },
  ],
  [
    'a',
    RHS.fetch,
    (m, { dst }) => {
      const code = Class.STX | Mode.ATOMIC | memSize(m[2]!);
      if (r(m[6]!) !== dst) throw new Fail('atomic_fetch returns into its source register');
      return { code, dst: r(m[3]!), src: dst, off: off(m[4]), imm: ATOMIC_OPS[m[1]!]! | AtomicOp.FETCH };
    },
  ],
  [
    'x',
    RHS.xchg,
    (m, { dst }) => {
      if (r(m[5]!) !== dst) throw new Fail('xchg returns into its source register');
      return { code: atomicCode(m[1]!), dst: r(m[2]!), src: dst, off: off(m[3]), imm: AtomicOp.XCHG };
    },
  ],
  [
    'c',
    RHS.cmpxchg,
    (m, { dst }) => {
      if (dst !== 0) throw new Fail('cmpxchg returns into r0');
      return { code: atomicCode(m[1]!), dst: r(m[2]!), src: r(m[5]!), off: off(m[3]), imm: AtomicOp.CMPXCHG };
    },
  ],
  [
    'a',
    RHS.kxchg,
    (m, { dst }) => {
      if (r(m[5]!) !== dst) throw new Fail('xchg returns into its source register');
      return {
        code: Class.STX | Mode.ATOMIC | memSize(m[1]!),
        dst: r(m[2]!),
        src: dst,
        off: off(m[3]),
        imm: AtomicOp.XCHG,
      };
    },
  ],
  [
    'a',
    RHS.kcmpxchg,
    (m, { dst }) => {
      if (dst !== 0) throw new Fail('cmpxchg returns into r0');
      const code = Class.STX | Mode.ATOMIC | memSize(m[1]!);
      return { code, dst: r(m[2]!), src: r(m[5]!), off: off(m[3]), imm: AtomicOp.CMPXCHG };
    },
  ],
  [DIGITS, RHS.imm64, (m, { dst }) => ({ ...ldImm64(reg(dst), parseBig(m[1]!)) })],
  [
    'm',
    RHS.map,
    (m, { dst }) => {
      const value = m[4] !== undefined;
      const src =
        m[1] === 'idx'
          ? value
            ? PseudoLd.MAP_IDX_VALUE
            : PseudoLd.MAP_IDX
          : value
            ? PseudoLd.MAP_VALUE
            : PseudoLd.MAP_FD;
      const ref = m[3] !== undefined ? { map: m[3] } : { imm: parseNum(m[2]!) };
      return { ...LD64, dst, src, ...ref, imm2: off(m[4]) };
    },
  ],
  ['b', RHS.btf, (m, { dst }) => ({ ...LD64, dst, src: PseudoLd.BTF_ID, imm: parseNum(m[1]!) })],
  [
    'f',
    RHS.func,
    (m, { dst }) => {
      const ref = m[2] !== undefined ? { target: m[2] } : { imm: parseNum(m[1]!) };
      return { ...LD64, dst, src: PseudoLd.FUNC, ...ref };
    },
  ],
  [
    '(',
    RHS.movsx,
    (m, { p, dst }) => {
      sameWidth(p, m[2]);
      const code = cls64(p, Class.ALU64, Class.ALU) | AluOp.MOV | Source.X;
      return { code, dst, src: r(m[3]!), off: Number(m[1]!.slice(1)) };
    },
  ],
  [
    '-',
    RHS.neg,
    (m, { p, dst }) => {
      sameWidth(p, m[1]);
      if (r(m[2]!) !== dst) throw new Fail('negation is dst = -dst');
      return { code: cls64(p, Class.ALU64, Class.ALU) | AluOp.NEG, dst };
    },
  ],
  [
    'lb',
    RHS.end,
    (m, { p, dst }) => {
      if (p !== 'r' || r(m[3]!) !== dst) throw new Fail('byte swaps are rN = le16 rN');
      const code = m[1] === 'bswap' ? Class.ALU64 : Class.ALU | (m[1] === 'be' ? Source.X : Source.K);
      return { code: code | AluOp.END, dst, imm: Number(m[2]) };
    },
  ],
  [
    'rw',
    RHS.reg,
    (m, { p, dst }) => {
      sameWidth(p, m[1]);
      return { code: cls64(p, Class.ALU64, Class.ALU) | AluOp.MOV | Source.X, dst, src: r(m[2]!) };
    },
  ],
  [
    DIGITS,
    RHS.num,
    (m, { p, dst }) => ({ code: cls64(p, Class.ALU64, Class.ALU) | AluOp.MOV, dst, imm: parseNum(m[0]) }),
  ],
];

/** The pattern table's reading of one normalized statement (no label); throws for text it cannot read. */
export function parseStatement(s: string): InstructionFields {
  const fields = match(STATEMENTS, s, s);
  if (fields === undefined) throw new Fail('unrecognised instruction');
  return fields;
}

const LABEL = new RegExp(`^(${IDENT}) ?:(.*)$`);
/** `12: (bf) ` in front of an instruction, as the verifier log and `bpftool prog dump xlated` print it. */
const KERNEL_PREFIX = /^\d+:(?:\(([0-9a-f]{2})\))?/;

/**
 * Reads assembler text in the kernel verifier / llvm syntax that {@link format} prints
 * (`r0 = *(u32 *)(r1 + 4)`, `if r1 > 0x3c goto +1`, `lock *(u64 *)(r10 - 8) += r1`,
 * `w0 = w1`, `r0 = be16 r0`, `call 1`, `r1 = 0x1234 ll`, `r1 = map[name]`, `name:` labels …).
 * Throws {@link ParseError} with the line number for text it cannot read. Instructions are
 * frozen, and equal ones read in one call may be the same object. An immediate ≥ 2^31 where the
 * CPU sign-extends it (`r3 = 0xffffffff`) is kept for `assemble` to refuse; in kernel listings
 * (`7: (15) if r1 == 0xffffffff goto pc+1`) it is the field's bits, as the kernel prints them.
 */
export function parse(text: string): Instruction[] {
  const source = withoutBlockComments(text);
  const items = new Items(lineCount(source));
  const cache = new InstructionCache();
  let line = 0;
  for (let start = 0; start <= source.length; line++) {
    let stop = source.indexOf('\n', start);
    if (stop < 0) stop = source.length;
    const common = parseCommonStatement(source, start, stop, cache);
    if (common !== undefined) items.add(common);
    else
      for (const raw of lineStatements(source.slice(start, stop))) parseGeneral(raw, line + 1, items, cache);
    start = stop + 1;
  }
  const read = items.done();
  return items.labels ? attachTextLabels(read, text) : (read as Instruction[]);
}

/**
 * Parses one statement the general way into `items`: labels, kernel listing prefixes and spacing
 * are taken off, and what is left goes to the fast path when it can read it (reading it as the
 * pattern table would), to the pattern table otherwise.
 */
function parseGeneral(raw: string, line: number, items: Items, cache: InstructionCache): void {
  let s = normalize(raw);
  try {
    for (let m = s.includes(':') ? LABEL.exec(s) : null; m !== null; m = LABEL.exec(s)) {
      items.add(mark(m[1]!));
      items.labels = true;
      s = m[2]!.trim();
    }
    const listed = KERNEL_PREFIX.exec(s);
    if (listed) s = s.slice(listed[0].length);
    if (s === '') return;
    if (listed?.[1] === '18' && !s.endsWith(' ll')) s += ' ll'; // the kernel prints ld_imm64 without `ll`
    let insn = parseCommonStatement(s, 0, s.length, cache) ?? makeInstruction(parseStatement(s));
    if (listed) insn = withImmBits(insn); // the kernel prints a jump's imm as bits: 0xfffffffb is -5
    if (listed?.[1] !== undefined && insn.code !== Number.parseInt(listed[1], 16)) {
      throw new Fail(
        `reads as opcode 0x${insn.code.toString(16).padStart(2, '0')}, not the listed (${listed[1]})`,
      );
    }
    items.add(insn);
  } catch (e) {
    if (e instanceof Error) throw new ParseError(e.message, line, raw);
    throw e;
  }
}
