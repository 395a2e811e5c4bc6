import { BpfInsnClass, BpfInsnMode, BpfInsnSize, BpfJmpOp, BpfPseudoCall } from '@ts-ebpf/uapi';
import { ElfError } from './errors.js';

/** Size of one BPF instruction. */
export const INSN_SIZE = 8;

/** Opcode of ld_imm64 (BPF_LD | BPF_IMM | BPF_DW). */
export const LD_IMM64 = BpfInsnClass.LD | BpfInsnMode.IMM | BpfInsnSize.DW;
/** Opcode of call (BPF_JMP | BPF_CALL). */
export const CALL = BpfInsnClass.JMP | BpfJmpOp.CALL;
/** `src_reg` of a bpf-to-bpf call and of ld_imm64 loading a function. */
export const PSEUDO_CALL = BpfPseudoCall.CALL;
/** `src_reg` of a kfunc call. */
export const PSEUDO_KFUNC_CALL = BpfPseudoCall.KFUNC_CALL;

/**
 * Copies a section's instructions into little-endian BPF encoding. Big-endian
 * objects have their `off`/`imm` fields and register nibbles swapped.
 */
export function toLittleEndian(code: Uint8Array, littleEndian: boolean, what: string): Uint8Array {
  if (code.byteLength % INSN_SIZE !== 0) {
    throw new ElfError(`${what} is ${code.byteLength} bytes, not a whole number of instructions`);
  }
  const out = code.slice();
  if (littleEndian) return out;
  const v = new DataView(out.buffer);
  for (let o = 0; o < out.byteLength; o += INSN_SIZE) {
    const regs = out[o + 1]!;
    out[o + 1] = ((regs & 0x0f) << 4) | (regs >> 4);
    v.setInt16(o + 2, v.getInt16(o + 2, false), true);
    v.setInt32(o + 4, v.getInt32(o + 4, false), true);
  }
  return out;
}

/** A small mutable view of one program's little-endian instructions. */
export class InsnView {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get count(): number {
    return this.bytes.byteLength / INSN_SIZE;
  }
  opcode(i: number): number {
    return this.bytes[i * INSN_SIZE]!;
  }
  src(i: number): number {
    return this.bytes[i * INSN_SIZE + 1]! >> 4;
  }
  setSrc(i: number, src: number): void {
    const o = i * INSN_SIZE + 1;
    this.bytes[o] = (this.bytes[o]! & 0x0f) | (src << 4);
  }
  imm(i: number): number {
    return this.#view.getInt32(i * INSN_SIZE + 4, true);
  }
  setImm(i: number, imm: number): void {
    this.#view.setInt32(i * INSN_SIZE + 4, imm | 0, true);
  }
}
