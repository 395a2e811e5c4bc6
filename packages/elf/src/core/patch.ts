import { BpfInsnClass, BpfInsnSize, BpfInsnSource } from '@ts-ebpf/uapi';
import { CALL, INSN_SIZE, LD_IMM64 } from '../instructions.js';
import type { CoreValues } from './calc.js';
import { CoreError } from './errors.js';

/**
 * Helper id a poisoned instruction calls: 0xbad2310 ("bad relo"), as libbpf uses.
 * The verifier rejects a reachable one with `invalid func unknown#195896080`;
 * in dead code it is removed.
 */
export const CORE_POISON_HELPER = 0xbad2310;

const CLASS_LD = BpfInsnClass.LD;
const CLASS_LDX = BpfInsnClass.LDX;
const CLASS_ST = BpfInsnClass.ST;
const CLASS_STX = BpfInsnClass.STX;
const CLASS_ALU = BpfInsnClass.ALU;
const CLASS_ALU64 = BpfInsnClass.ALU64;
const SRC_X = BpfInsnSource.X;
const SHRT_MAX = 0x7fff;

/** Load/store size field (bits 3-4) by byte count. */
const SIZE_BITS: Record<number, number> = {
  4: BpfInsnSize.W,
  2: BpfInsnSize.H,
  1: BpfInsnSize.B,
  8: BpfInsnSize.DW,
};
const SIZE_BYTES = [4, 2, 1, 8];

/** Replaces instruction `i` with `call 0xbad2310`. */
function poisonOne(view: DataView, i: number): void {
  const o = i * INSN_SIZE;
  view.setUint8(o, CALL);
  view.setUint8(o + 1, 0);
  view.setInt16(o + 2, 0, true);
  view.setInt32(o + 4, CORE_POISON_HELPER, true);
}

/**
 * Poisons the instruction at `i` (and the second half of an ld_imm64, so the
 * verifier does not stop at an empty opcode instead).
 */
export function poisonInstruction(view: DataView, i: number): void {
  if (view.getUint8(i * INSN_SIZE) === LD_IMM64 && (i + 1) * INSN_SIZE < view.byteLength)
    poisonOne(view, i + 1);
  poisonOne(view, i);
}

/** The value a relocatable instruction holds: immediate, offset or 64-bit immediate. */
function currentValue(view: DataView, i: number): bigint {
  const o = i * INSN_SIZE;
  const code = view.getUint8(o);
  const cls = code & 0x07;
  if (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX) return BigInt(view.getInt16(o + 2, true));
  if (code === LD_IMM64 && o + 2 * INSN_SIZE <= view.byteLength)
    return BigInt(view.getUint32(o + 4, true)) | (BigInt(view.getUint32(o + 12, true)) << 32n);
  return BigInt.asUintN(64, BigInt(view.getInt32(o + 4, true)));
}

/** What patching did: the value the instruction held, and the one written. */
export interface PatchOutcome {
  readonly old: bigint;
  readonly new: bigint | undefined;
  /** Set when the instruction was poisoned. */
  readonly poisoned: string | undefined;
}

/**
 * Writes a relocation's target value into instruction `i`, as libbpf's
 * `bpf_core_patch_insn` does: the immediate of an ALU/ALU64 instruction, the
 * offset of LDX/ST/STX (also resizing a load whose field changed size), or the
 * 64-bit immediate of ld_imm64. Poisons it when the values say so.
 * @throws CoreError when the instruction does not hold the expected local value
 */
export function patchInstruction(view: DataView, i: number, values: CoreValues): PatchOutcome {
  const o = i * INSN_SIZE;
  if (o + INSN_SIZE > view.byteLength) throw new CoreError(`instruction ${i} is past the end of the program`);
  const code = view.getUint8(o);
  const cls = code & 0x07;
  const off = view.getInt16(o + 2, true);
  const poison = (why: string, old: bigint): PatchOutcome => {
    poisonInstruction(view, i);
    return { old, new: undefined, poisoned: why };
  };
  if (values.poison) return poison(values.poison, currentValue(view, i));
  const unexpected = (what: string, got: bigint): never => {
    throw new CoreError(`instruction ${i} (${what}) holds ${got}, expected ${values.orig}`);
  };
  switch (cls) {
    case CLASS_ALU:
    case CLASS_ALU64: {
      if (code & SRC_X) throw new CoreError(`instruction ${i} is an ALU instruction with a register source`);
      const old = currentValue(view, i);
      if (values.validate && old !== values.orig) unexpected('ALU immediate', old);
      view.setInt32(o + 4, Number(BigInt.asIntN(32, values.next)), true);
      return { old, new: values.next, poisoned: undefined };
    }
    case CLASS_LDX:
    case CLASS_ST:
    case CLASS_STX: {
      const old = BigInt(off);
      if (values.validate && BigInt.asUintN(64, old) !== values.orig) unexpected('memory offset', old);
      if (values.next > SHRT_MAX) throw new CoreError(`instruction ${i}: offset ${values.next} does not fit`);
      if (values.sizeMismatch)
        return poison(
          `field is ${values.origSize} bytes locally but ${values.nextSize} in the target; only pointers and unsigned ints can change size`,
          old,
        );
      view.setInt16(o + 2, Number(values.next), true);
      if (values.origSize !== values.nextSize) {
        const have = SIZE_BYTES[(code >> 3) & 0x03]!;
        if (have !== values.origSize)
          throw new CoreError(`instruction ${i} accesses ${have} bytes, expected ${values.origSize}`);
        const bits = SIZE_BITS[values.nextSize];
        if (bits === undefined)
          throw new CoreError(`instruction ${i}: no load or store has size ${values.nextSize}`);
        view.setUint8(o, (code & ~0x18) | bits);
      }
      return { old, new: values.next, poisoned: undefined };
    }
    case CLASS_LD: {
      const second = o + INSN_SIZE;
      if (
        code !== LD_IMM64 ||
        second + INSN_SIZE > view.byteLength ||
        view.getUint8(o + 1) >> 4 !== 0 ||
        off !== 0 ||
        view.getUint8(second) !== 0 ||
        view.getUint8(second + 1) !== 0 ||
        view.getInt16(second + 2, true) !== 0
      )
        throw new CoreError(`instruction ${i} is not a plain ld_imm64`);
      const old = currentValue(view, i);
      if (values.validate && old !== values.orig) unexpected('ld_imm64', old);
      view.setUint32(o + 4, Number(values.next & 0xffffffffn), true);
      view.setUint32(second + 4, Number(values.next >> 32n), true);
      return { old, new: values.next, poisoned: undefined };
    }
    default:
      throw new CoreError(`instruction ${i} (opcode 0x${code.toString(16)}) cannot carry a CO-RE relocation`);
  }
}
