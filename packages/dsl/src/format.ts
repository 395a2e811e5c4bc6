import { formatAtomic } from './format-atomic.js';
import { cast, mem, R, raw, reg, signed, W } from './format-parts.js';
import type { Instruction } from './instruction.js';
import { KIND_OF, Kind } from './kinds.js';
import { AluOp, Class, JmpOp, Mode, PseudoCall, PseudoLd } from './opcodes.js';
import { TextSink } from './text-sink.js';

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
  w.text('pc');
  signed(w, i.imm);
}

function formatAlu(w: TextSink, i: Instruction, kind: number): void {
  const p = (i.code & 0x07) === Class.ALU64 ? R : W;
  const x = (i.code & 0x08) !== 0;
  if (kind === Kind.END) {
    const name = (i.code & 0x07) === Class.ALU64 ? 'bswap' : x ? 'be' : 'le';
    reg(w, R, i.dst);
    w.text(' = ');
    w.text(name);
    w.int(i.imm);
    w.char(32);
    reg(w, R, i.dst);
    return;
  }
  reg(w, p, i.dst);
  switch (kind) {
    case Kind.NEG:
      w.text(' = -');
      reg(w, p, i.dst);
      return;
    case Kind.MOV:
      w.text(' = ');
      if (x && i.off !== 0) {
        w.text('(s');
        w.int(i.off);
        w.char(41);
      }
      break;
    default:
      w.char(32);
      if (i.off === 1) w.char(115);
      w.text(ALU_SYMBOLS[i.code & 0xf0]!);
      w.text('= ');
  }
  if (x) reg(w, p, i.src);
  else w.int(i.imm);
}

function formatJump(w: TextSink, i: Instruction, kind: number): void {
  switch (kind) {
    case Kind.JA:
      w.text('goto');
      jumpTarget(w, i, i.off);
      return;
    case Kind.GOTOL:
      w.text('gotol');
      jumpTarget(w, i, i.imm);
      return;
    case Kind.EXIT:
      w.text('exit');
      return;
    case Kind.CALL:
      w.text('call ');
      if (i.src === PseudoCall.CALL) {
        pcTarget(w, i);
        return;
      }
      if (i.src === PseudoCall.KFUNC) {
        w.text('kfunc#');
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
      w.text('if ');
      reg(w, p, i.dst);
      w.char(32);
      w.text(JUMP_SYMBOLS[i.code & 0xf0]!);
      w.char(32);
      if ((i.code & 0x08) !== 0) reg(w, p, i.src);
      else w.int(i.imm);
      w.text(' goto');
      jumpTarget(w, i, i.off);
      return;
    }
  }
}

function mapName(w: TextSink, i: Instruction, prefix: 'fd' | 'idx'): void {
  w.text('map[');
  if (i.map !== undefined) w.text(i.map);
  else {
    w.text(prefix);
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

function formatLdImm64(w: TextSink, i: Instruction): void {
  if (!LD_IMM64_SOURCES.has(i.src)) {
    raw(w, i);
    return;
  }
  reg(w, R, i.dst);
  w.text(' = ');
  switch (i.src) {
    case PseudoLd.IMM:
      w.text('0x');
      w.hex64((i.imm2 ?? 0) >>> 0, i.imm >>> 0);
      w.text(' ll');
      return;
    case PseudoLd.MAP_FD:
    case PseudoLd.MAP_IDX:
      mapName(w, i, i.src === PseudoLd.MAP_FD ? 'fd' : 'idx');
      return;
    case PseudoLd.MAP_VALUE:
    case PseudoLd.MAP_IDX_VALUE:
      mapName(w, i, i.src === PseudoLd.MAP_VALUE ? 'fd' : 'idx');
      w.text('[0]+');
      w.int(i.imm2 ?? 0);
      return;
    case PseudoLd.BTF_ID:
      w.text('btf_id[');
      w.int(i.imm);
      w.char(93);
      return;
    case PseudoLd.FUNC:
      w.text('func[');
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
      w.text('r0 = ');
      cast(w, i.code, true);
      w.text('skb[');
      if (kind === Kind.LD_IND) {
        reg(w, R, i.src);
        if (i.imm !== 0) {
          w.text(i.imm < 0 ? ' - ' : ' + ');
          w.int(Math.abs(i.imm));
        }
      } else w.int(i.imm);
      w.char(93);
      return;
    case Kind.LDX:
    case Kind.LDX_SX:
      reg(w, R, i.dst);
      w.text(' = ');
      cast(w, i.code, true, kind === Kind.LDX_SX);
      mem(w, i.src, i.off);
      return;
    case Kind.ST:
    case Kind.STX:
      cast(w, i.code, true);
      mem(w, i.dst, i.off);
      w.text(' = ');
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
const one = new TextSink(128);

/**
 * One instruction in the kernel verifier / llvm syntax, e.g. `r0 = *(u32 *)(r1 + 4)`,
 * `if r1 > 60 goto +1`, `lock *(u64 *)(r10 - 8) += r1`. Labels are not included.
 */
export function formatInstruction(insn: Instruction): string {
  one.reset();
  write(one, insn);
  return one.toString();
}

/**
 * The buffer of the last {@link format} call, which the next call reuses unless the garbage
 * collector has taken it. A fresh buffer for a large program costs more than writing the text
 * (zeroed pages the process faults in one by one: 60 % of the time for a million
 * instructions); held weakly, it keeps no memory the runtime wants back.
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
  for (const insn of insns) {
    if (insn.label !== undefined) {
      w.text(insn.label);
      w.text(':\n');
    }
    write(w, insn);
    w.char(10);
  }
  const text = w.toString();
  spare = new WeakRef(w);
  return text;
}
