/**
 * The one instruction representation used by builders, `assemble`, `disassemble`,
 * `format` and `parse`: a frozen plain object holding the encoded fields.
 * @module
 */
import { KIND_OF, Kind, signExtendsImm } from './kinds.js';

/**
 * A return code an instruction makes the program return, and what chose it: the option or
 * template of a plugin's fragment (`onFailure of xdp_adjust_head`, `template macSwapTx`).
 * `PluginSection.build` and `checkPluginProgram` check it against the program's section, as
 * `ret()` checks a code by name. Not encoded: an instruction decoded from bytes has none.
 */
export interface ChosenReturn {
  /** The return code. */
  readonly code: number;
  /** What chose it, for the error: the option or template, e.g. `onFailure of xdp_adjust_head`. */
  readonly by: string;
}

/** One BPF instruction (two slots for `ld_imm64`). Immutable: builders return frozen objects. */
export interface Instruction {
  /** Opcode byte. */
  readonly code: number;
  /** Destination register field (0–10). */
  readonly dst: number;
  /** Source register field (0–10), or a pseudo value for `ld_imm64` and calls. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /**
   * Signed 32-bit immediate (the low half of an `ld_imm64` constant). An operation that
   * sign-extends its immediate to 64 bits keeps a value in [2^31, 2^32) as written (for
   * validation to refuse); every other operation stores it in its signed form.
   */
  readonly imm: number;
  /** `ld_imm64` only: the immediate of the second slot (high half, or the map value offset). */
  readonly imm2?: number;
  /** A label naming this instruction, the target of jumps and calls. */
  readonly label?: string;
  /** For jumps, bpf-to-bpf calls and `ld_imm64` function pointers: the label jumped to. */
  readonly target?: string;
  /** For `ld_imm64` map loads: a map name resolved to an fd by `assemble`. */
  readonly map?: string;
  /** The return code this instruction makes the program return, when a plugin's fragment chose one. */
  readonly returns?: ChosenReturn;
}

/** The raw fields of an instruction, with the optional parts. */
export interface InstructionFields {
  code: number;
  dst?: number;
  src?: number;
  off?: number;
  imm?: number;
  imm2?: number;
  label?: string;
  target?: string;
  map?: string;
  returns?: ChosenReturn;
}

/**
 * Turns an unsigned 32-bit value into its signed form, so `0xffffffff` and `-1` build the
 * same instruction where the CPU reads them alike (see {@link immField} for the immediate).
 * Values outside the 32-bit range are left for validation to reject.
 */
export function toInt32(value: number): number {
  return value >= 0x80000000 && value <= 0xffffffff ? value | 0 : field(value);
}

/**
 * The stored immediate of an instruction with opcode `code`: {@link toInt32} of `value`, except
 * that an operation whose immediate the CPU sign-extends to 64 bits ({@link signExtendsImm})
 * keeps a value in [2^31, 2^32) as written, for validation to refuse: `r3 = 0xffffffff` would
 * set r3 to -1 (0xffffffffffffffff), not 4294967295. Only values ≥ 2^31 look at the opcode.
 */
export function immField(code: number, value: number): number {
  if (value >= 0x80000000 && value <= 0xffffffff) return signExtendsImm(code) ? value : value | 0;
  return field(value);
}

/**
 * `insn`, a line of a kernel listing, with the immediate of a conditional jump in [2^31, 2^32)
 * read as the bits of the 32-bit field (its ToInt32): the kernel prints that immediate as
 * `0x%x`, so `(15) if r1 == 0xffffffff goto pc+1` is imm -1. Other immediates it prints as
 * signed decimals, so `r3 = 4294967295` there is kept, for validation to refuse.
 */
export function withImmBits(insn: Instruction): Instruction {
  return insn.imm > 0x7fffffff && insn.imm <= 0xffffffff && KIND_OF[insn.code] === Kind.JCOND
    ? Object.freeze({ ...insn, imm: insn.imm | 0 })
    : insn;
}

/** `-0` (from text such as `-0`) is stored as `0`: the encoding has one zero. */
function field(value: number): number {
  return value === 0 ? 0 : value;
}

/**
 * The frozen instruction with only the five encoded fields, without an intermediate fields
 * object: the text parser's fast path builds most instructions this way.
 */
export function basicInstruction(
  code: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
): Instruction {
  return Object.freeze({ code, dst: field(dst), src: field(src), off: field(off), imm: immField(code, imm) });
}

/**
 * The frozen two-slot instruction with the six encoded fields taken as they are (they must
 * already be normalized): `disassemble` and the text parser's fast path build `ld_imm64` this way.
 */
export function wideInstruction(
  code: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
  imm2: number,
): Instruction {
  return Object.freeze({ code, dst, src, off, imm, imm2 });
}

/**
 * Makes a frozen instruction from raw fields; optional fields are omitted, not undefined. An
 * immediate in [2^31, 2^32) is stored in its signed form (`0xffffffff` is `-1`), except on an
 * operation that sign-extends it to 64 bits, where it is kept for `assemble` to refuse.
 */
export function makeInstruction(f: InstructionFields): Instruction {
  const insn: {
    code: number;
    dst: number;
    src: number;
    off: number;
    imm: number;
    imm2?: number;
    label?: string;
    target?: string;
    map?: string;
    returns?: ChosenReturn;
  } = {
    code: f.code,
    dst: field(f.dst ?? 0),
    src: field(f.src ?? 0),
    off: field(f.off ?? 0),
    imm: immField(f.code, f.imm ?? 0),
  };
  if (f.imm2 !== undefined) insn.imm2 = toInt32(f.imm2);
  if (f.label !== undefined) insn.label = f.label;
  if (f.target !== undefined) insn.target = f.target;
  if (f.map !== undefined) insn.map = f.map;
  if (f.returns !== undefined) insn.returns = Object.freeze({ code: f.returns.code, by: f.returns.by });
  return Object.freeze(insn);
}

/** A copy of `insn` carrying `name` as its label. */
export function withLabel(name: string, insn: Instruction): Instruction {
  return makeInstruction({ ...insn, label: name });
}

/** Number of 8-byte slots the instruction occupies (2 for `ld_imm64`, else 1). */
export function slotCount(insn: Instruction): 1 | 2 {
  return insn.code === 0x18 ? 2 : 1;
}
