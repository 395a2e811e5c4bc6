import { AssemblyError } from '../errors.js';
import { type Instruction, makeInstruction } from '../instruction.js';
import { Class, Mode, Size } from '../opcodes.js';
import type { Register } from '../registers.js';

/** Access size of a load or store: byte, half word, word, double word (or `u8` … `u64`). */
export type SizeName = 'b' | 'h' | 'w' | 'dw' | 'u8' | 'u16' | 'u32' | 'u64';

const SIZES: Record<string, number> = {
  b: Size.B,
  h: Size.H,
  w: Size.W,
  dw: Size.DW,
  u8: Size.B,
  u16: Size.H,
  u32: Size.W,
  u64: Size.DW,
};

/** The `Size` opcode bits of a size name; throws for an unknown name. */
export function sizeBits(size: SizeName): number {
  const bits = SIZES[size];
  if (bits === undefined) throw new AssemblyError(`unknown access size '${size}' (use b, h, w, dw)`);
  return bits;
}

/** `dst = *(size *)(src + off)`: zero-extending load. */
export function ldx(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return makeInstruction({ code: Class.LDX | Mode.MEM | sizeBits(size), dst: dst.num, src: src.num, off });
}

/** `dst = *(s8|s16|s32 *)(src + off)`: sign-extending load (ISA v4; not for `dw`). */
export function ldxs(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return makeInstruction({ code: Class.LDX | Mode.MEMSX | sizeBits(size), dst: dst.num, src: src.num, off });
}

/** `*(size *)(dst + off) = src`: store a register. */
export function stx(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return makeInstruction({ code: Class.STX | Mode.MEM | sizeBits(size), dst: dst.num, src: src.num, off });
}

/**
 * `*(size *)(dst + off) = imm`: store an immediate. A `dw` store sign-extends it to 64 bits, so
 * `assemble` refuses an `imm` ≥ 2^31 there (0xffffffff would store -1); the narrower sizes take
 * any value in [-2^31, 2^32).
 */
export function st(size: SizeName, dst: Register, off: number, imm: number): Instruction {
  return makeInstruction({ code: Class.ST | Mode.MEM | sizeBits(size), dst: dst.num, off, imm });
}

/** Legacy packet load `r0 = *(size *)skb[imm]` (socket filters; not `dw`). */
export function ldAbs(size: SizeName, imm: number): Instruction {
  return makeInstruction({ code: Class.LD | Mode.ABS | sizeBits(size), imm });
}

/** Legacy packet load `r0 = *(size *)skb[src + imm]` (socket filters; not `dw`). */
export function ldInd(size: SizeName, src: Register, imm = 0): Instruction {
  return makeInstruction({ code: Class.LD | Mode.IND | sizeBits(size), src: src.num, imm });
}
