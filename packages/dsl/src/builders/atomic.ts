import { type Instruction, makeInstruction } from '../instruction.js';
import { AtomicOp, Class, Mode } from '../opcodes.js';
import type { Register } from '../registers.js';
import { type SizeName, sizeBits } from './memory.js';

/** Read-modify-write operations of {@link atomic}. */
export type AtomicOpName = 'add' | 'or' | 'and' | 'xor';

const OPS: Record<AtomicOpName, number> = {
  add: AtomicOp.ADD,
  or: AtomicOp.OR,
  and: AtomicOp.AND,
  xor: AtomicOp.XOR,
};

function atomicInsn(size: SizeName, imm: number, dst: Register, src: Register, off: number): Instruction {
  return makeInstruction({
    code: Class.STX | Mode.ATOMIC | sizeBits(size),
    dst: dst.num,
    src: src.num,
    off,
    imm,
  });
}

/**
 * `lock *(size *)(dst + off) op= src` (`w` or `dw`). With `fetch`, the old value is
 * returned in `src`: `src = atomic_fetch_op((size *)(dst + off), src)`.
 */
export function atomic(
  op: AtomicOpName,
  size: SizeName,
  dst: Register,
  src: Register,
  off = 0,
  fetch = false,
): Instruction {
  return atomicInsn(size, OPS[op] | (fetch ? AtomicOp.FETCH : 0), dst, src, off);
}

/** `src = xchg(dst + off, src)`: atomic exchange (`w` or `dw`). */
export function xchg(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return atomicInsn(size, AtomicOp.XCHG, dst, src, off);
}

/**
 * `r0 = cmpxchg(dst + off, r0, src)`: if the memory equals R0 it becomes `src`; R0 receives
 * the old value (`w` or `dw`).
 */
export function cmpxchg(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return atomicInsn(size, AtomicOp.CMPXCHG, dst, src, off);
}

/** `dst = load_acquire((size *)(src + off))` (kernel 6.15, any size). */
export function loadAcquire(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return atomicInsn(size, AtomicOp.LOAD_ACQ, dst, src, off);
}

/** `store_release((size *)(dst + off), src)` (kernel 6.15, any size). */
export function storeRelease(size: SizeName, dst: Register, src: Register, off = 0): Instruction {
  return atomicInsn(size, AtomicOp.STORE_REL, dst, src, off);
}
