import { imm64Value } from './builders/ldimm64.js';
import type { Instruction } from './instruction.js';
import { KIND_OF, Kind } from './kinds.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLd, SIZE_NAMES, Size } from './opcodes.js';

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

const ATOMIC_NAMES: Record<number, string> = {
  [AtomicOp.ADD]: 'add',
  [AtomicOp.OR]: 'or',
  [AtomicOp.AND]: 'and',
  [AtomicOp.XOR]: 'xor',
};
const ATOMIC_SYMBOLS: Record<number, string> = {
  [AtomicOp.ADD]: '+',
  [AtomicOp.OR]: '|',
  [AtomicOp.AND]: '&',
  [AtomicOp.XOR]: '^',
};

function signed(n: number): string {
  return n < 0 ? `-${-n}` : `+${n}`;
}

function mem(base: number, off: number): string {
  return off < 0 ? `(r${base} - ${-off})` : `(r${base} + ${off})`;
}

function sizeName(code: number): string {
  return SIZE_NAMES[(code & 0x18) >> 3]!;
}

function raw(i: Instruction): string {
  return `<invalid code=0x${i.code.toString(16)} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}>`;
}

function jumpTarget(i: Instruction, rel: number): string {
  return ` ${i.target ?? signed(rel)}`;
}

function pcTarget(i: Instruction): string {
  return i.target ?? `pc${signed(i.imm)}`;
}

function formatAlu(i: Instruction, kind: number): string {
  const p = (i.code & 0x07) === Class.ALU64 ? 'r' : 'w';
  const x = (i.code & 0x08) !== 0;
  const operand = x ? `${p}${i.src}` : `${i.imm}`;
  switch (kind) {
    case Kind.NEG:
      return `${p}${i.dst} = -${p}${i.dst}`;
    case Kind.MOV:
      if (x && i.off !== 0) return `${p}${i.dst} = (s${i.off})${p}${i.src}`;
      return `${p}${i.dst} = ${operand}`;
    case Kind.END: {
      const name = (i.code & 0x07) === Class.ALU64 ? 'bswap' : x ? 'be' : 'le';
      return `r${i.dst} = ${name}${i.imm} r${i.dst}`;
    }
    default: {
      const sym = ALU_SYMBOLS[i.code & 0xf0]!;
      return `${p}${i.dst} ${i.off === 1 ? 's' : ''}${sym}= ${operand}`;
    }
  }
}

function formatJump(i: Instruction, kind: number): string {
  switch (kind) {
    case Kind.JA:
      return `goto${jumpTarget(i, i.off)}`;
    case Kind.GOTOL:
      return `gotol${jumpTarget(i, i.imm)}`;
    case Kind.EXIT:
      return 'exit';
    case Kind.CALL:
      if (i.src === PseudoCall.CALL) return `call ${pcTarget(i)}`;
      if (i.src === PseudoCall.KFUNC) return `call kfunc#${i.imm}${i.off !== 0 ? `@${i.off}` : ''}`;
      return `call ${i.imm}`;
    default: {
      const p = (i.code & 0x07) === Class.JMP ? 'r' : 'w';
      const operand = (i.code & 0x08) !== 0 ? `${p}${i.src}` : `${i.imm}`;
      return `if ${p}${i.dst} ${JUMP_SYMBOLS[i.code & 0xf0]} ${operand} goto${jumpTarget(i, i.off)}`;
    }
  }
}

function mapName(i: Instruction, prefix: 'fd' | 'idx'): string {
  return i.map !== undefined ? `map[${i.map}]` : `map[${prefix}:${i.imm}]`;
}

function formatLdImm64(i: Instruction): string {
  const d = `r${i.dst} = `;
  switch (i.src) {
    case PseudoLd.IMM:
      return `${d}0x${imm64Value(i).toString(16)} ll`;
    case PseudoLd.MAP_FD:
      return d + mapName(i, 'fd');
    case PseudoLd.MAP_VALUE:
      return `${d}${mapName(i, 'fd')}[0]+${i.imm2 ?? 0}`;
    case PseudoLd.BTF_ID:
      return `${d}btf_id[${i.imm}]`;
    case PseudoLd.FUNC:
      return `${d}func[${pcTarget(i)}]`;
    case PseudoLd.MAP_IDX:
      return d + mapName(i, 'idx');
    case PseudoLd.MAP_IDX_VALUE:
      return `${d}${mapName(i, 'idx')}[0]+${i.imm2 ?? 0}`;
    default:
      return raw(i);
  }
}

function formatAtomic(i: Instruction): string {
  const size = sizeName(i.code);
  const p = (i.code & 0x18) === Size.DW ? 'r' : 'w';
  const m = mem(i.dst, i.off);
  const addr = `r${i.dst} ${i.off < 0 ? '-' : '+'} ${Math.abs(i.off)}`;
  switch (i.imm) {
    case AtomicOp.XCHG:
      return p === 'r'
        ? `r${i.src} = xchg_64(${addr}, r${i.src})`
        : `w${i.src} = xchg32_32(${addr}, w${i.src})`;
    case AtomicOp.CMPXCHG:
      return p === 'r'
        ? `r0 = cmpxchg_64(${addr}, r0, r${i.src})`
        : `w0 = cmpxchg32_32(${addr}, w0, w${i.src})`;
    case AtomicOp.LOAD_ACQ:
      return `${p}${i.dst} = load_acquire((${size} *)${mem(i.src, i.off)})`;
    case AtomicOp.STORE_REL:
      return `store_release((${size} *)${m}, ${p}${i.src})`;
  }
  const op = i.imm & ~AtomicOp.FETCH;
  if (ATOMIC_NAMES[op] === undefined || (i.imm & ~0xf1) !== 0) return raw(i);
  if (i.imm & AtomicOp.FETCH) {
    return `${p}${i.src} = atomic_fetch_${ATOMIC_NAMES[op]}((${size} *)${m}, ${p}${i.src})`;
  }
  return `lock *(${size} *)${m} ${ATOMIC_SYMBOLS[op]}= ${p}${i.src}`;
}

function formatMemory(i: Instruction, kind: number): string {
  const size = sizeName(i.code);
  switch (kind) {
    case Kind.LD_IMM64:
      return formatLdImm64(i);
    case Kind.LD_ABS:
      return `r0 = *(${size} *)skb[${i.imm}]`;
    case Kind.LD_IND:
      return `r0 = *(${size} *)skb[r${i.src}${i.imm === 0 ? '' : i.imm < 0 ? ` - ${-i.imm}` : ` + ${i.imm}`}]`;
    case Kind.LDX:
      return `r${i.dst} = *(${size} *)${mem(i.src, i.off)}`;
    case Kind.LDX_SX:
      return `r${i.dst} = *(s${size.slice(1)} *)${mem(i.src, i.off)}`;
    case Kind.ST:
      return `*(${size} *)${mem(i.dst, i.off)} = ${i.imm}`;
    case Kind.STX:
      return `*(${size} *)${mem(i.dst, i.off)} = r${i.src}`;
    default:
      return formatAtomic(i);
  }
}

/**
 * One instruction in the kernel verifier / llvm syntax, e.g. `r0 = *(u32 *)(r1 + 4)`,
 * `if r1 > 60 goto +1`, `lock *(u64 *)(r10 - 8) += r1`. Labels are not included.
 */
export function formatInstruction(insn: Instruction): string {
  const code = insn.code;
  const kind = Number.isInteger(code) && code >= 0 && code < 256 ? KIND_OF[code]! : Kind.INVALID;
  if (kind === Kind.INVALID) return raw(insn);
  if (kind <= Kind.END) return formatAlu(insn, kind);
  if (kind <= Kind.EXIT) return formatJump(insn, kind);
  if ((code & 0xe0) === Mode.ATOMIC && (code & 0x07) === Class.STX) return formatAtomic(insn);
  return formatMemory(insn, kind);
}

/** A program as text, one instruction per line, each label on its own line before it. */
export function format(insns: readonly Instruction[]): string {
  let out = '';
  for (const insn of insns) {
    if (insn.label !== undefined) out += `${insn.label}:\n`;
    out += `${formatInstruction(insn)}\n`;
  }
  return out;
}
