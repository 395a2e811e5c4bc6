import { AluOp, Class, JmpOp, LD_IMM64, Mode, Size, Source } from './opcodes.js';

/** What an opcode byte is, for dispatch in validation, decoding and formatting. */
export const Kind = {
  INVALID: 0,
  ALU: 1,
  NEG: 2,
  MOV: 3,
  END: 4,
  JA: 5,
  GOTOL: 6,
  JCOND: 7,
  CALL: 8,
  EXIT: 9,
  LD_IMM64: 10,
  LD_ABS: 11,
  LD_IND: 12,
  LDX: 13,
  LDX_SX: 14,
  ST: 15,
  STX: 16,
  ATOMIC: 17,
} as const;

/** One of the {@link Kind} values. */
export type Kind = (typeof Kind)[keyof typeof Kind];

function classify(code: number): Kind {
  const cls = code & 0x07;
  const op = code & 0xf0;
  const x = (code & 0x08) !== 0;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      if (op === AluOp.NEG) return x ? Kind.INVALID : Kind.NEG;
      if (op === AluOp.MOV) return Kind.MOV;
      if (op === AluOp.END) return cls === Class.ALU64 && x ? Kind.INVALID : Kind.END;
      return op > AluOp.END ? Kind.INVALID : Kind.ALU;
    case Class.JMP:
    case Class.JMP32:
      if (op === JmpOp.JA) {
        if (x) return Kind.INVALID;
        return cls === Class.JMP ? Kind.JA : Kind.GOTOL;
      }
      if (op === JmpOp.CALL || op === JmpOp.EXIT) {
        if (x || cls === Class.JMP32) return Kind.INVALID;
        return op === JmpOp.CALL ? Kind.CALL : Kind.EXIT;
      }
      return op > JmpOp.JSLE ? Kind.INVALID : Kind.JCOND;
    default:
      return classifyMemory(code, cls);
  }
}

function classifyMemory(code: number, cls: number): Kind {
  const mode = code & 0xe0;
  const size = code & 0x18;
  if (cls === Class.LD) {
    if (code === LD_IMM64) return Kind.LD_IMM64;
    if (size === Size.DW) return Kind.INVALID;
    if (mode === Mode.ABS) return Kind.LD_ABS;
    if (mode === Mode.IND) return Kind.LD_IND;
    return Kind.INVALID;
  }
  if (cls === Class.LDX) {
    if (mode === Mode.MEM) return Kind.LDX;
    if (mode === Mode.MEMSX && size !== Size.DW) return Kind.LDX_SX;
    return Kind.INVALID;
  }
  if (cls === Class.ST) return mode === Mode.MEM ? Kind.ST : Kind.INVALID;
  if (mode === Mode.MEM) return Kind.STX;
  if (mode === Mode.ATOMIC) return Kind.ATOMIC;
  return Kind.INVALID;
}

/** The {@link Kind} of every opcode byte. */
export const KIND_OF: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code++) table[code] = classify(code);
  return table;
})();

/** 1 for the opcodes of {@link signExtendsImm}, by opcode byte. */
const SIGN_EXTENDS_IMM: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code++) {
    const kind = KIND_OF[code];
    const k = (code & Source.X) === 0;
    const cls = code & 0x07;
    const extends64 =
      (cls === Class.ALU64 && k && (kind === Kind.ALU || kind === Kind.MOV)) ||
      (cls === Class.JMP && k && kind === Kind.JCOND) ||
      (kind === Kind.ST && (code & 0x18) === Size.DW);
    table[code] = extends64 ? 1 : 0;
  }
  return table;
})();

/**
 * Whether the CPU sign-extends this opcode's 32-bit immediate to 64 bits: 64-bit arithmetic
 * and `mov` with an immediate (not `neg`, not `bswap`, whose immediate is a width), 64-bit
 * conditional jumps with an immediate (not `goto`, `call`, `exit`), and `u64` stores of an
 * immediate. For these an immediate in [2^31, 2^32) is not what the CPU uses (0xffffffff acts
 * as -1, 0xffffffffffffffff), so builders keep it as written and validation refuses it; every
 * other operation reads 0xffffffff and -1 alike.
 */
export function signExtendsImm(code: number): boolean {
  return SIGN_EXTENDS_IMM[code] === 1;
}
