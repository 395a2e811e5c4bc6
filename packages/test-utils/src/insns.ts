/**
 * Hand-encoded BPF instructions for tests of the packages below `@ts-ebpf/dsl`
 * (syscall) and for tests that must not depend on the assembler they check.
 */

/** Encodes one instruction (little-endian). */
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
export const movR0 = (imm: number): Uint8Array => insn(0xb7, 0, 0, 0, imm);
/** `exit`. */
export const exit = (): Uint8Array => insn(0x95, 0, 0, 0, 0);
/** `r0 = imm; exit`. */
export const returns = (imm: number): Uint8Array => program(movR0(imm), exit());

/** A program that adds 1 to slot 0 of a u64 array map (`mapFd`), then returns `ret`. */
export function counterProgram(mapFd: number, ret = 0): Uint8Array {
  return program(
    insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    insn(0xbf, 2, 10, 0, 0), // r2 = r10
    insn(0x07, 2, 0, 0, -4), // r2 += -4
    insn(0x18, 1, 1, 0, mapFd), // r1 = map[fd] ll
    insn(0x00, 0, 0, 0, 0),
    insn(0x85, 0, 0, 0, 1), // call map_lookup_elem
    insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    insn(0xb7, 1, 0, 0, 1), // r1 = 1
    insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    movR0(ret),
    exit(),
  );
}
