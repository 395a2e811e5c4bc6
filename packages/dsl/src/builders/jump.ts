import { helper } from '../helpers.js';
import { type Instruction, makeInstruction } from '../instruction.js';
import { Class, JmpOp, PseudoCall, Source } from '../opcodes.js';
import { isRegister, type Register } from '../registers.js';
import type { Operand } from './alu.js';

/** Where a jump goes: a label name, or a signed offset in instruction slots. */
export type JumpTarget = string | number;

function targetFields(target: JumpTarget): { off?: number; target?: string } {
  return typeof target === 'string' ? { target } : { off: target };
}

/** `goto target`: unconditional jump with a 16-bit offset. */
export function ja(target: JumpTarget): Instruction {
  return makeInstruction({ code: Class.JMP | JmpOp.JA, ...targetFields(target) });
}

/** `gotol target`: unconditional jump with a 32-bit offset in the immediate (ISA v4). */
export function gotol(target: JumpTarget): Instruction {
  if (typeof target === 'string') return makeInstruction({ code: Class.JMP32 | JmpOp.JA, target });
  return makeInstruction({ code: Class.JMP32 | JmpOp.JA, imm: target });
}

function jcond(cls: number, op: number, dst: Register, src: Operand, target: JumpTarget): Instruction {
  const t = targetFields(target);
  if (isRegister(src))
    return makeInstruction({ code: cls | op | Source.X, dst: dst.num, src: src.num, ...t });
  return makeInstruction({ code: cls | op | Source.K, dst: dst.num, imm: src, ...t });
}

type JumpBuilder = (dst: Register, src: Operand, target: JumpTarget) => Instruction;

function pair(op: number): [JumpBuilder, JumpBuilder] {
  return [
    (dst, src, target) => jcond(Class.JMP, op, dst, src, target),
    (dst, src, target) => jcond(Class.JMP32, op, dst, src, target),
  ];
}

/**
 * `if dst == src goto target` (64-bit compare); `jeq32` compares the low 32 bits. The 64-bit
 * jumps sign-extend an immediate, so `assemble` refuses one ≥ 2^31 (`jeq(R1, 0xffffffff, l)`
 * would compare with -1); the 32-bit ones take any value in [-2^31, 2^32).
 */
export const [jeq, jeq32] = pair(JmpOp.JEQ);
/** `if dst != src goto target`; `jne32` compares the low 32 bits. */
export const [jne, jne32] = pair(JmpOp.JNE);
/** Unsigned `if dst > src goto target`; `jgt32` compares the low 32 bits. */
export const [jgt, jgt32] = pair(JmpOp.JGT);
/** Unsigned `if dst >= src goto target`; `jge32` compares the low 32 bits. */
export const [jge, jge32] = pair(JmpOp.JGE);
/** Unsigned `if dst < src goto target`; `jlt32` compares the low 32 bits. */
export const [jlt, jlt32] = pair(JmpOp.JLT);
/** Unsigned `if dst <= src goto target`; `jle32` compares the low 32 bits. */
export const [jle, jle32] = pair(JmpOp.JLE);
/** `if dst & src goto target`; `jset32` tests the low 32 bits. */
export const [jset, jset32] = pair(JmpOp.JSET);
/** Signed `if dst s> src goto target`; `jsgt32` compares the low 32 bits. */
export const [jsgt, jsgt32] = pair(JmpOp.JSGT);
/** Signed `if dst s>= src goto target`; `jsge32` compares the low 32 bits. */
export const [jsge, jsge32] = pair(JmpOp.JSGE);
/** Signed `if dst s< src goto target`; `jslt32` compares the low 32 bits. */
export const [jslt, jslt32] = pair(JmpOp.JSLT);
/** Signed `if dst s<= src goto target`; `jsle32` compares the low 32 bits. */
export const [jsle, jsle32] = pair(JmpOp.JSLE);

/**
 * `call helper`: calls a BPF helper by id or by name (`'map_lookup_elem'` or
 * `'bpf_map_lookup_elem'`). A misspelt name throws, suggesting the nearest helper name.
 */
export function call(helperIdOrName: number | string): Instruction {
  const id = typeof helperIdOrName === 'number' ? helperIdOrName : helper(helperIdOrName).id;
  return makeInstruction({ code: Class.JMP | JmpOp.CALL, imm: id });
}

/** `call label`: bpf-to-bpf call of a subprogram (src = 1, imm = relative offset). */
export function callLocal(target: JumpTarget): Instruction {
  const base = { code: Class.JMP | JmpOp.CALL, src: PseudoCall.CALL };
  if (typeof target === 'string') return makeInstruction({ ...base, target });
  return makeInstruction({ ...base, imm: target });
}

/** Calls a kernel function by BTF id (src = 2); `btfFdIndex` selects a module BTF in `fd_array`. */
export function callKfunc(btfId: number, btfFdIndex = 0): Instruction {
  return makeInstruction({
    code: Class.JMP | JmpOp.CALL,
    src: PseudoCall.KFUNC,
    imm: btfId,
    off: btfFdIndex,
  });
}

/** `exit`: return R0 to the caller. */
export function exit(): Instruction {
  return makeInstruction({ code: Class.JMP | JmpOp.EXIT });
}
