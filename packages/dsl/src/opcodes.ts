/**
 * Opcode field values of the BPF instruction set (RFC 9669 plus later kernel additions), by
 * the DSL's names. The values are `@ts-ebpf/uapi`'s (from the kernel's headers); the DSL only
 * adds the zero members the headers leave implicit (`PseudoLd.IMM`, `PseudoCall.HELPER`).
 * An opcode byte is `class | op | source` (arithmetic and jumps) or `class | mode | size`
 * (loads and stores).
 * @module
 */
import {
  BpfAluOp,
  BpfAtomicOp,
  BpfInsnClass,
  BpfInsnMode,
  BpfInsnSize,
  BpfInsnSource,
  BpfJmpOp,
  BpfPseudoCall,
  BpfPseudoLd,
} from '@ts-ebpf/uapi';

/** Instruction classes: the low three bits of the opcode. */
export const Class = BpfInsnClass;

/** Source operand bit of arithmetic and jump opcodes: immediate (`K`) or register (`X`). */
export const Source = BpfInsnSource;

/** Arithmetic operations (bits 4–7 of an ALU/ALU64 opcode). */
export const AluOp = BpfAluOp;

/** Jump operations (bits 4–7 of a JMP/JMP32 opcode). */
export const JmpOp = BpfJmpOp;

/** Access sizes of loads and stores (bits 3–4). */
export const Size = BpfInsnSize;

/** Addressing modes of loads and stores (bits 5–7). */
export const Mode = BpfInsnMode;

/** Operations of `BPF_ATOMIC` instructions, carried in the immediate (`FETCH` is a flag). */
export const AtomicOp = BpfAtomicOp;

/** `src_reg` values of `ld_imm64` that give the immediate a special meaning; `IMM` is a plain constant. */
export const PseudoLd = Object.freeze({ IMM: 0, ...BpfPseudoLd } as const);

/** `src_reg` values of a call instruction; `HELPER` is a helper call. */
export const PseudoCall = Object.freeze({
  HELPER: 0,
  CALL: BpfPseudoCall.CALL,
  KFUNC: BpfPseudoCall.KFUNC_CALL,
} as const);

/** The opcode of the 16-byte `ld_imm64` instruction. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

/** Size in bytes of each `Size` value, indexed by `(size >> 3)`. */
export const SIZE_BYTES = [4, 2, 1, 8] as const;

/** Type names of each `Size` value (`u32`, `u16`, `u8`, `u64`), indexed by `(size >> 3)`. */
export const SIZE_NAMES = ['u32', 'u16', 'u8', 'u64'] as const;
