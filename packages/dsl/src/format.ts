import { formatAtomic } from './format-atomic.js';
import { cast, isWord, MINUS, mem, PLUS, R, raw, reg, signed, W } from './format-parts.js';
import { calledHelper, helperLabel } from './helpers.js';
import type { Instruction } from './instruction.js';
import { KIND_OF, Kind } from './kinds.js';
import { AluOp, Class, JmpOp, Mode, PseudoCall, PseudoLd } from './opcodes.js';
import { asciiBytes, TextSink } from './text-sink.js';

const ALU_SYMBOLS: Record<number, string> = {
  [AluOp.ADD]: '+',
  [AluOp.SUB]: '-',
  [AluOp.MUL]: '*',
  [AluOp.DIV]: '/',
  [AluOp.OR]: '|',
  [AluOp.AND]: '&',
  [AluOp.LSH]: '<<',
  [AluOp.RSH]: '>>',
  [AluOp.MOD]: '%',
  [AluOp.XOR]: '^',
  [AluOp.ARSH]: 's>>',
};

/** Comparison symbols of conditional jumps, by jump op. */
export const JUMP_SYMBOLS: Record<number, string> = {
  [JmpOp.JEQ]: '==',
  [JmpOp.JNE]: '!=',
  [JmpOp.JGT]: '>',
  [JmpOp.JGE]: '>=',
  [JmpOp.JLT]: '<',
  [JmpOp.JLE]: '<=',
  [JmpOp.JSET]: '&',
  [JmpOp.JSGT]: 's>',
  [JmpOp.JSGE]: 's>=',
  [JmpOp.JSLT]: 's<',
  [JmpOp.JSLE]: 's<=',
};

/** ` += `, ` s>>= `, …: the assignment operator of each ALU op (`op >> 4`), and its signed (`off` 1) form. */
const ALU_ASSIGN = byOp(ALU_SYMBOLS, (s) => ` ${s}= `);
const ALU_ASSIGN_SIGNED = byOp(ALU_SYMBOLS, (s) => ` s${s}= `);
/** ` > `, ` s<= `, …: the comparison of each jump op (`op >> 4`). */
const JUMP_COMPARE = byOp(JUMP_SYMBOLS, (s) => ` ${s} `);

function byOp(symbols: Record<number, string>, text: (symbol: string) => string): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  for (const [op, symbol] of Object.entries(symbols)) out[Number(op) >> 4] = asciiBytes(text(symbol));
  return out;
}

const ASSIGN = asciiBytes(' = ');
const NEGATE = asciiBytes(' = -');
const SIGN_EXTEND = asciiBytes('(s');
const IF = asciiBytes('if ');
const GOTO = asciiBytes('goto');
const SPACE_GOTO = asciiBytes(' goto');
const GOTOL = asciiBytes('gotol');
const EXIT = asciiBytes('exit');
const CALL = asciiBytes('call ');
const KFUNC = asciiBytes('kfunc#');
const PC = asciiBytes('pc');
const MAP = asciiBytes('map[');
const HEX = asciiBytes('0x');
const LL = asciiBytes(' ll');
const VALUE_AT = asciiBytes('[0]+');
const BTF_ID = asciiBytes('btf_id[');
const FUNC = asciiBytes('func[');
const R0_ASSIGN = asciiBytes('r0 = ');
const SKB = asciiBytes('skb[');
const FD = asciiBytes('fd');
const IDX = asciiBytes('idx');
const BSWAP = asciiBytes('bswap');
const BE = asciiBytes('be');
const LE = asciiBytes('le');

function jumpTarget(w: TextSink, i: Instruction, rel: number): void {
  w.char(32);
  if (i.target !== undefined) w.text(i.target);
  else signed(w, rel);
}

function pcTarget(w: TextSink, i: Instruction): void {
  if (i.target !== undefined) {
    w.text(i.target);
    return;
  }
  w.lit(PC);
  signed(w, i.imm);
}

function formatAlu(w: TextSink, i: Instruction, kind: number): void {
  const p = (i.code & 0x07) === Class.ALU64 ? R : W;
  const x = (i.code & 0x08) !== 0;
  if (kind === Kind.END) {
    const name = (i.code & 0x07) === Class.ALU64 ? BSWAP : x ? BE : LE;
    reg(w, R, i.dst);
    w.lit(ASSIGN);
    w.lit(name);
    w.int(i.imm);
    w.char(32);
    reg(w, R, i.dst);
    return;
  }
  reg(w, p, i.dst);
  switch (kind) {
    case Kind.NEG:
      w.lit(NEGATE);
      reg(w, p, i.dst);
      return;
    case Kind.MOV:
      w.lit(ASSIGN);
      if (x && i.off !== 0) {
        w.lit(SIGN_EXTEND);
        w.int(i.off);
        w.char(41);
      }
      break;
    default:
      w.lit((i.off === 1 ? ALU_ASSIGN_SIGNED : ALU_ASSIGN)[i.code >> 4]!);
  }
  if (x) reg(w, p, i.src);
  else w.int(i.imm);
}

function formatJump(w: TextSink, i: Instruction, kind: number): void {
  switch (kind) {
    case Kind.JA:
      w.lit(GOTO);
      jumpTarget(w, i, i.off);
      return;
    case Kind.GOTOL:
      w.lit(GOTOL);
      jumpTarget(w, i, i.imm);
      return;
    case Kind.EXIT:
      w.lit(EXIT);
      return;
    case Kind.CALL:
      w.lit(CALL);
      if (i.src === PseudoCall.CALL) {
        pcTarget(w, i);
        return;
      }
      if (i.src === PseudoCall.KFUNC) {
        w.lit(KFUNC);
        w.int(i.imm);
        if (i.off !== 0) {
          w.char(64);
          w.int(i.off);
        }
        return;
      }
      w.int(i.imm);
      return;
    default: {
      const p = (i.code & 0x07) === Class.JMP ? R : W;
      w.lit(IF);
      reg(w, p, i.dst);
      w.lit(JUMP_COMPARE[i.code >> 4]!);
      if ((i.code & 0x08) !== 0) reg(w, p, i.src);
      else w.int(i.imm);
      w.lit(SPACE_GOTO);
      jumpTarget(w, i, i.off);
      return;
    }
  }
}

function mapName(w: TextSink, i: Instruction, prefix: Uint8Array): void {
  w.lit(MAP);
  if (i.map !== undefined) w.text(i.map);
  else {
    w.lit(prefix);
    w.char(58);
    w.int(i.imm);
  }
  w.char(93);
}

const LD_IMM64_SOURCES: ReadonlySet<number> = new Set([
  PseudoLd.IMM,
  PseudoLd.MAP_FD,
  PseudoLd.MAP_IDX,
  PseudoLd.MAP_VALUE,
  PseudoLd.MAP_IDX_VALUE,
  PseudoLd.BTF_ID,
  PseudoLd.FUNC,
]);

/** `true` at the index of every source in {@link LD_IMM64_SOURCES}: an array read is cheaper than a set lookup. */
const IS_LD_IMM64_SOURCE: readonly boolean[] = Array.from({ length: 8 }, (_, src) =>
  LD_IMM64_SOURCES.has(src),
);

function formatLdImm64(w: TextSink, i: Instruction): void {
  if (IS_LD_IMM64_SOURCE[i.src] !== true) {
    raw(w, i);
    return;
  }
  // halves that are not 32-bit integers print as they are, not as the hex of their conversion
  if (i.src === PseudoLd.IMM && !(isWord(i.imm) && isWord(i.imm2 ?? 0))) {
    raw(w, i, true);
    return;
  }
  reg(w, R, i.dst);
  w.lit(ASSIGN);
  switch (i.src) {
    case PseudoLd.IMM:
      w.lit(HEX);
      w.hex64((i.imm2 ?? 0) >>> 0, i.imm >>> 0);
      w.lit(LL);
      return;
    case PseudoLd.MAP_FD:
    case PseudoLd.MAP_IDX:
      mapName(w, i, i.src === PseudoLd.MAP_FD ? FD : IDX);
      return;
    case PseudoLd.MAP_VALUE:
    case PseudoLd.MAP_IDX_VALUE:
      mapName(w, i, i.src === PseudoLd.MAP_VALUE ? FD : IDX);
      w.lit(VALUE_AT);
      w.int(i.imm2 ?? 0);
      return;
    case PseudoLd.BTF_ID:
      w.lit(BTF_ID);
      w.int(i.imm);
      w.char(93);
      return;
    case PseudoLd.FUNC:
      w.lit(FUNC);
      pcTarget(w, i);
      w.char(93);
      return;
  }
}

function formatMemory(w: TextSink, i: Instruction, kind: number): void {
  switch (kind) {
    case Kind.LD_IMM64:
      formatLdImm64(w, i);
      return;
    case Kind.LD_ABS:
    case Kind.LD_IND:
      w.lit(R0_ASSIGN);
      cast(w, i.code, true);
      w.lit(SKB);
      if (kind === Kind.LD_IND) {
        reg(w, R, i.src);
        if (i.imm !== 0) {
          w.lit(i.imm < 0 ? MINUS : PLUS);
          w.int(Math.abs(i.imm));
        }
      } else w.int(i.imm);
      w.char(93);
      return;
    case Kind.LDX:
    case Kind.LDX_SX:
      reg(w, R, i.dst);
      w.lit(ASSIGN);
      cast(w, i.code, true, kind === Kind.LDX_SX);
      mem(w, i.src, i.off);
      return;
    case Kind.ST:
    case Kind.STX:
      cast(w, i.code, true);
      mem(w, i.dst, i.off);
      w.lit(ASSIGN);
      if (kind === Kind.ST) {
        w.int(i.imm);
        return;
      }
      reg(w, R, i.src);
      return;
    default:
      formatAtomic(w, i);
      return;
  }
}

function write(w: TextSink, insn: Instruction): void {
  const code = insn.code;
  const kind = Number.isInteger(code) && code >= 0 && code < 256 ? KIND_OF[code]! : Kind.INVALID;
  if (kind === Kind.INVALID) {
    raw(w, insn);
    return;
  }
  if (kind <= Kind.END) {
    formatAlu(w, insn, kind);
    return;
  }
  if (kind <= Kind.EXIT) {
    formatJump(w, insn, kind);
    return;
  }
  if ((code & 0xe0) === Mode.ATOMIC && (code & 0x07) === Class.STX) {
    formatAtomic(w, insn);
    return;
  }
  formatMemory(w, insn, kind);
  return;
}

/** Reused by {@link formatInstruction}, which error paths call one instruction at a time. */
const one = new TextSink();

/**
 * One instruction in the kernel verifier / llvm syntax, e.g. `r0 = *(u32 *)(r1 + 4)`,
 * `if r1 > 60 goto +1`, `lock *(u64 *)(r10 - 8) += r1`. Labels are not included.
 * A helper call is `call 113`; {@link formatInstructionWithHelperName} names it.
 */
export function formatInstruction(insn: Instruction): string {
  one.reset();
  one.reserve();
  write(one, insn);
  return one.toString();
}

/**
 * One instruction as {@link formatInstruction} writes it, except that a helper call names its
 * helper as the kernel's verifier log and bpftool do, keeping the id:
 * `call bpf_probe_read_kernel#113` rather than `call 113`. A call of an id that names no known
 * helper stays `call N`. The text parses back to the same instruction.
 */
export function formatInstructionWithHelperName(insn: Instruction): string {
  return calledHelper(insn) ? `call ${helperLabel(insn.imm)}` : formatInstruction(insn);
}

/**
 * The buffer of the last {@link format} call, which the next call reuses unless the garbage
 * collector has taken it. A fresh buffer for a large program can cost more than writing the
 * text (new zeroed pages, faulted in one by one: 60 % of the time of a million-instruction call
 * in a loop, measured on Node 20); held weakly, it keeps no memory the runtime wants back.
 */
let spare: WeakRef<TextSink> | undefined;

/** The spare buffer, taken so that a nested call (an instruction getter calling `format`) cannot share it. */
function takeSink(count: number): TextSink {
  const w = spare?.deref();
  spare = undefined;
  if (w === undefined) return new TextSink(count * 24 + 16);
  w.reset();
  return w;
}

/** A program as text, one instruction per line, each label on its own line before it. */
export function format(insns: readonly Instruction[]): string {
  const w = takeSink(insns.length);
  // An indexed loop: `for (const insn of insns)` allocated an iterator result per instruction.
  for (let k = 0; k < insns.length; k++) {
    const insn = insns[k]!;
    w.reserve();
    if (insn.label !== undefined) {
      w.text(insn.label);
      w.char(58);
      w.char(10);
    }
    write(w, insn);
    w.char(10);
  }
  const text = w.toString();
  spare = new WeakRef(w);
  return text;
}
