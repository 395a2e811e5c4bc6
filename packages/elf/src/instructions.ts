import {
  BpfInsnClass,
  BpfInsnMode,
  BpfInsnSize,
  BpfJmpOp,
  BpfPseudoCall,
  BpfPseudoLd,
  type ByteOrder,
} from '@ts-ebpf/uapi';
import { ElfError } from './errors.js';

/** Size of one BPF instruction. */
export const INSN_SIZE = 8;

/** Opcode of ld_imm64 (BPF_LD | BPF_IMM | BPF_DW). */
export const LD_IMM64 = BpfInsnClass.LD | BpfInsnMode.IMM | BpfInsnSize.DW;
/** Opcode of call (BPF_JMP | BPF_CALL). */
export const CALL = BpfInsnClass.JMP | BpfJmpOp.CALL;
/** `src_reg` of a bpf-to-bpf call. */
export const PSEUDO_CALL = BpfPseudoCall.CALL;
/** `src_reg` of ld_imm64 loading a function's address (a callback); `imm` is relative, as a call's. */
export const PSEUDO_FUNC = BpfPseudoLd.FUNC;
/** `src_reg` of a kfunc call. */
export const PSEUDO_KFUNC_CALL = BpfPseudoCall.KFUNC_CALL;

/**
 * A copy of `code` (never a view of it) with every instruction's byte order swapped: the
 * register nibbles exchanged, `off` and `imm` reversed. Its own inverse.
 */
export function swapInstructionOrder(code: Uint8Array): Uint8Array {
  const storage = new ArrayBuffer(code.byteLength);
  const out = new Uint8Array(storage);
  out.set(code);
  const v = new DataView(storage);
  for (let o = 0; o + INSN_SIZE <= out.byteLength; o += INSN_SIZE) {
    const regs = out[o + 1]!;
    out[o + 1] = ((regs & 0x0f) << 4) | (regs >> 4);
    v.setInt16(o + 2, v.getInt16(o + 2, false), true);
    v.setInt32(o + 4, v.getInt32(o + 4, false), true);
  }
  return out;
}

/**
 * Copies a section's instructions (in the object's byte order `order`) into
 * little-endian BPF encoding, the form a `ProgramSpec` holds. Never returns a view
 * of `code`: the copy may be patched.
 * @throws ElfError when the section is not a whole number of instructions
 */
export function toLittleEndian(code: Uint8Array, order: ByteOrder, what: string): Uint8Array {
  checkWhole(code, what);
  return order === 'little' ? new Uint8Array(code) : swapInstructionOrder(code);
}

/**
 * A section's instructions in little-endian BPF encoding, to be read only: `code` itself when the
 * object is little-endian (no copy), else a swapped copy.
 * @throws ElfError when the section is not a whole number of instructions
 */
export function littleEndianView(code: Uint8Array, order: ByteOrder, what: string): Uint8Array {
  return order === 'little' ? checkWhole(code, what) : toLittleEndian(code, order, what);
}

function checkWhole(code: Uint8Array, what: string): Uint8Array {
  if (code.byteLength % INSN_SIZE !== 0) {
    throw new ElfError(`${what} is ${code.byteLength} bytes, not a whole number of instructions`);
  }
  return code;
}

/**
 * A small mutable view of one program's little-endian instructions. An index outside the
 * program is an {@link ElfError} (a corrupt object's reference), never a RangeError.
 */
export class InsnView {
  readonly bytes: Uint8Array;
  /** How many instructions `bytes` holds. */
  readonly count: number;
  /** Names the program in errors. */
  readonly #what: string;
  constructor(bytes: Uint8Array, what = 'program') {
    this.bytes = bytes;
    this.count = Math.floor(bytes.byteLength / INSN_SIZE);
    this.#what = what;
  }
  /** Byte offset of instruction `i`. @throws ElfError when there is no such instruction */
  #at(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count)
      throw new ElfError(`${this.#what}: instruction ${i} is outside its ${this.count} instructions`);
    return i * INSN_SIZE;
  }
  opcode(i: number): number {
    return this.bytes[this.#at(i)]!;
  }
  src(i: number): number {
    return this.bytes[this.#at(i) + 1]! >> 4;
  }
  setSrc(i: number, src: number): void {
    const o = this.#at(i) + 1;
    this.bytes[o] = (this.bytes[o]! & 0x0f) | (src << 4);
  }
  /** The signed 32-bit `imm` (little-endian, bytes 4–7). */
  imm(i: number): number {
    const o = this.#at(i) + 4;
    const b = this.bytes;
    return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
  }
  setImm(i: number, imm: number): void {
    const o = this.#at(i) + 4;
    const b = this.bytes;
    const v = imm | 0;
    b[o] = v;
    b[o + 1] = v >> 8;
    b[o + 2] = v >> 16;
    b[o + 3] = v >> 24;
  }
}
