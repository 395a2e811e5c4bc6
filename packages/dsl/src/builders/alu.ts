import { AssemblyError } from '../errors.js';
import { type Instruction, makeInstruction } from '../instruction.js';
import { AluOp, Class, Source } from '../opcodes.js';
import { isRegister, type Register } from '../registers.js';

/**
 * Second operand of an arithmetic or jump instruction: a register or a 32-bit immediate. The
 * 32-bit forms (`mov32`, `and32`, `jeq32` …) take any value in [-2^31, 2^32) (`0xffffffff` is
 * `-1`); the 64-bit forms sign-extend the immediate, so they take [-2^31, 2^31) and `assemble`
 * refuses a value ≥ 2^31 (`mov(R3, 0xffffffff)` would set r3 to -1: use `-1`, `mov32`, or
 * `ldImm64(R3, 0xffffffffn)`).
 */
export type Operand = Register | number;

function alu(cls: number, op: number, dst: Register, src: Operand, off = 0): Instruction {
  if (isRegister(src)) return makeInstruction({ code: cls | op | Source.X, dst: dst.num, src: src.num, off });
  return makeInstruction({ code: cls | op | Source.K, dst: dst.num, imm: src, off });
}

type AluBuilder = (dst: Register, src: Operand) => Instruction;

function pair(op: number, off = 0): [AluBuilder, AluBuilder] {
  return [(dst, src) => alu(Class.ALU64, op, dst, src, off), (dst, src) => alu(Class.ALU, op, dst, src, off)];
}

/** `dst += src` (64-bit); `add32` is the 32-bit form. */
export const [add, add32] = pair(AluOp.ADD);
/** `dst -= src` (64-bit); `sub32` is the 32-bit form. */
export const [sub, sub32] = pair(AluOp.SUB);
/** `dst *= src` (64-bit); `mul32` is the 32-bit form. */
export const [mul, mul32] = pair(AluOp.MUL);
/** Unsigned `dst /= src` (64-bit); division by zero gives 0. `div32` is the 32-bit form. */
export const [div, div32] = pair(AluOp.DIV);
/** Signed `dst s/= src` (64-bit, ISA v4); `sdiv32` is the 32-bit form. */
export const [sdiv, sdiv32] = pair(AluOp.DIV, 1);
/** Unsigned `dst %= src` (64-bit); modulo by zero leaves dst. `mod32` is the 32-bit form. */
export const [mod, mod32] = pair(AluOp.MOD);
/** Signed `dst s%= src` (64-bit, ISA v4); `smod32` is the 32-bit form. */
export const [smod, smod32] = pair(AluOp.MOD, 1);
/** `dst |= src` (64-bit); `or32` is the 32-bit form. */
export const [or, or32] = pair(AluOp.OR);
/** `dst &= src` (64-bit); `and32` is the 32-bit form. */
export const [and, and32] = pair(AluOp.AND);
/** `dst ^= src` (64-bit); `xor32` is the 32-bit form. */
export const [xor, xor32] = pair(AluOp.XOR);
/** `dst <<= src` (64-bit); `lsh32` is the 32-bit form. */
export const [lsh, lsh32] = pair(AluOp.LSH);
/** Logical `dst >>= src` (64-bit); `rsh32` is the 32-bit form. */
export const [rsh, rsh32] = pair(AluOp.RSH);
/** Arithmetic `dst s>>= src` (64-bit); `arsh32` is the 32-bit form. */
export const [arsh, arsh32] = pair(AluOp.ARSH);
/**
 * `dst = src` (64-bit); `mov32` is the 32-bit form. An immediate is sign-extended to 64 bits, so
 * it must be in [-2^31, 2^31): `mov(R3, 0xffffffff)` is refused by `assemble` (it would set r3
 * to -1); write `-1`, `mov32(R3, 0xffffffff)` (r3 = 4294967295), or `ldImm64(R3, 0xffffffffn)`.
 */
export const [mov, mov32] = pair(AluOp.MOV);

/** `dst = -dst` (64-bit). */
export function neg(dst: Register): Instruction {
  return makeInstruction({ code: Class.ALU64 | AluOp.NEG, dst: dst.num });
}

/** `wdst = -wdst` (32-bit). */
export function neg32(dst: Register): Instruction {
  return makeInstruction({ code: Class.ALU | AluOp.NEG, dst: dst.num });
}

/** `dst = (s8|s16|s32)src`: sign-extending 64-bit move (ISA v4). */
export function movsx(dst: Register, src: Register, bits: 8 | 16 | 32): Instruction {
  return makeInstruction({ code: Class.ALU64 | AluOp.MOV | Source.X, dst: dst.num, src: src.num, off: bits });
}

/** `wdst = (s8|s16)wsrc`: sign-extending 32-bit move (ISA v4). */
export function movsx32(dst: Register, src: Register, bits: 8 | 16): Instruction {
  return makeInstruction({ code: Class.ALU | AluOp.MOV | Source.X, dst: dst.num, src: src.num, off: bits });
}

function checkBits(bits: number): void {
  if (bits !== 16 && bits !== 32 && bits !== 64) {
    throw new AssemblyError(`byte swap width must be 16, 32 or 64, not ${bits}`);
  }
}

/** `dst = le16/le32/le64 dst`: convert from little-endian (truncates to the width). */
export function le(dst: Register, bits: 16 | 32 | 64): Instruction {
  checkBits(bits);
  return makeInstruction({ code: Class.ALU | AluOp.END | Source.K, dst: dst.num, imm: bits });
}

/** `dst = be16/be32/be64 dst`: convert from big-endian (truncates to the width). */
export function be(dst: Register, bits: 16 | 32 | 64): Instruction {
  checkBits(bits);
  return makeInstruction({ code: Class.ALU | AluOp.END | Source.X, dst: dst.num, imm: bits });
}

/** `dst = bswap16/32/64 dst`: unconditional byte swap (ISA v4). */
export function bswap(dst: Register, bits: 16 | 32 | 64): Instruction {
  checkBits(bits);
  return makeInstruction({ code: Class.ALU64 | AluOp.END | Source.K, dst: dst.num, imm: bits });
}
