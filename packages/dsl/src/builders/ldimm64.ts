import { AssemblyError } from '../errors.js';
import { type Instruction, makeInstruction } from '../instruction.js';
import { LD_IMM64, PseudoLd } from '../opcodes.js';
import type { Register } from '../registers.js';
import type { JumpTarget } from './jump.js';

/**
 * A map for `ld_imm64`: an object with an open `fd` (read when the instruction is built),
 * or a name that `assemble` resolves through its `maps` option.
 */
export type MapRef = { readonly fd: number } | string;

/** `dst = value ll`: loads a 64-bit constant (two instruction slots). */
export function ldImm64(dst: Register, value: bigint | number): Instruction {
  const b = BigInt(value);
  if (b < -(1n << 63n) || b >= 1n << 64n)
    throw new AssemblyError(`ld_imm64 value ${value} does not fit 64 bits`);
  const v = BigInt.asUintN(64, b);
  return makeInstruction({
    code: LD_IMM64,
    dst: dst.num,
    imm: Number(BigInt.asIntN(32, v)),
    imm2: Number(BigInt.asIntN(32, v >> 32n)),
  });
}

/** The 64-bit constant of a `ld_imm64` instruction (src 0), as an unsigned bigint. */
export function imm64Value(insn: Instruction): bigint {
  return (BigInt.asUintN(32, BigInt(insn.imm2 ?? 0)) << 32n) | BigInt.asUintN(32, BigInt(insn.imm));
}

function mapLoad(src: number, dst: Register, map: MapRef, imm2: number): Instruction {
  if (typeof map === 'string') return makeInstruction({ code: LD_IMM64, dst: dst.num, src, map, imm2 });
  return makeInstruction({ code: LD_IMM64, dst: dst.num, src, imm: map.fd, imm2 });
}

/** `dst = map[...]`: loads a map pointer (src 1, `BPF_PSEUDO_MAP_FD`). */
export function ldMapFd(dst: Register, map: MapRef): Instruction {
  return mapLoad(PseudoLd.MAP_FD, dst, map, 0);
}

/** `dst = map[...][0]+offset`: address inside the value of an array map (src 2). */
export function ldMapValue(dst: Register, map: MapRef, offset = 0): Instruction {
  return mapLoad(PseudoLd.MAP_VALUE, dst, map, offset);
}

/** `dst = btf_id[id]`: address of a kernel variable by BTF id (src 3). */
export function ldBtfId(dst: Register, btfId: number): Instruction {
  return makeInstruction({ code: LD_IMM64, dst: dst.num, src: PseudoLd.BTF_ID, imm: btfId, imm2: 0 });
}

/** `dst = func[target]`: address of a subprogram, for callbacks (src 4). */
export function ldFunc(dst: Register, target: JumpTarget): Instruction {
  const base = { code: LD_IMM64, dst: dst.num, src: PseudoLd.FUNC, imm2: 0 };
  return makeInstruction(typeof target === 'string' ? { ...base, target } : { ...base, imm: target });
}

/** `dst = map[idx:N]`: map by index into the load-time `fd_array` (src 5). */
export function ldMapIdx(dst: Register, index: number): Instruction {
  return makeInstruction({ code: LD_IMM64, dst: dst.num, src: PseudoLd.MAP_IDX, imm: index, imm2: 0 });
}

/** `dst = map[idx:N][0]+offset`: value address of a map by `fd_array` index (src 6). */
export function ldMapIdxValue(dst: Register, index: number, offset = 0): Instruction {
  return makeInstruction({
    code: LD_IMM64,
    dst: dst.num,
    src: PseudoLd.MAP_IDX_VALUE,
    imm: index,
    imm2: offset,
  });
}
