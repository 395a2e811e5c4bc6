/** Hand-encoded instructions for tests (the dsl package is above this one). */
export function insn(opcode: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, opcode);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return b;
}

/** Concatenates instructions into one program. */
export function program(...insns: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((i, n) => {
    out.set(i, n * 8);
  });
  return out;
}

/** `r0 = imm` (mov64 imm). */
export const movR0 = (imm: number) => insn(0xb7, 0, 0, 0, imm);
/** `exit`. */
export const exit = () => insn(0x95, 0, 0, 0, 0);
