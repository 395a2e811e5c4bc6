import { BpfAluOp, BpfInsnClass, BpfInsnSource, BpfJmpOp, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

// Raw instructions for the feature probes. This package is the bottom layer and may not use the
// DSL's assembler, so the probes write `struct bpf_insn` bytes themselves: 8 bytes each, `code`,
// then `dst_reg:4, src_reg:4` (bit-fields, so their nibble order follows the host's byte order),
// `off` (s16) and `imm` (s32) in the host's byte order, as the kernel reads them.

/** One instruction's fields (registers 0–10; `off` and `imm` signed). */
export interface RawInsn {
  readonly code: number;
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
}

/** Encodes `insns` into one program, in this host's byte order. */
export function encodeInsns(insns: readonly RawInsn[]): Uint8Array {
  const storage = new ArrayBuffer(insns.length * 8);
  const v = new DataView(storage);
  insns.forEach((insn, i) => {
    const at = i * 8;
    const dst = insn.dst ?? 0;
    const src = insn.src ?? 0;
    v.setUint8(at, insn.code);
    v.setUint8(at + 1, HOST_LITTLE_ENDIAN ? (src << 4) | dst : (dst << 4) | src);
    v.setInt16(at + 2, insn.off ?? 0, HOST_LITTLE_ENDIAN);
    v.setInt32(at + 4, insn.imm ?? 0, HOST_LITTLE_ENDIAN);
  });
  return new Uint8Array(storage);
}

/** `r<dst> = imm` (64-bit move of an immediate). */
export const mov64Imm = (dst: number, imm: number): RawInsn => ({
  code: BpfInsnClass.ALU64 | BpfAluOp.MOV | BpfInsnSource.K,
  dst,
  imm,
});

/** `exit`. */
export const EXIT: RawInsn = { code: BpfInsnClass.JMP | BpfJmpOp.EXIT };

/** `r0 = 0; exit`. */
export const EXIT_0: Uint8Array = encodeInsns([mov64Imm(0, 0), EXIT]);
