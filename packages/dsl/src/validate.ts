import { formatInstruction } from './format.js';
import type { Instruction } from './instruction.js';
import { KIND_OF, Kind, signExtendsImm } from './kinds.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLd, SIZE_NAMES, Size } from './opcodes.js';

function isInt(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

function imm32(n: number): boolean {
  return isInt(n, -0x80000000, 0xffffffff);
}

/** The builder name of an operation (`and`, `jeq`): the lower-case name of its opcode value. */
function opName(ops: Readonly<Record<string, number>>, op: number): string {
  return (Object.keys(ops).find((name) => ops[name] === op) ?? '?').toLowerCase();
}

/**
 * Why an immediate in [2^31, 2^32) cannot go on an operation that sign-extends its immediate
 * ({@link signExtendsImm}): what the CPU would use instead, and what to write for each meaning.
 */
function signExtended(i: Instruction): string {
  const value = i.imm;
  const hex = `0x${value.toString(16)}`;
  const cls = i.code & 0x07;
  const op = i.code & 0xf0;
  let narrow: Instruction;
  let builder: string;
  let scope: string;
  if (cls === Class.ST) {
    narrow = { ...i, code: (i.code & ~0x18) | Size.W };
    builder = "st('w', …)";
    scope = 'to store only 4 bytes';
  } else if (cls === Class.JMP) {
    narrow = { ...i, code: (i.code & ~0x07) | Class.JMP32 };
    builder = `${opName(JmpOp, op)}32`;
    scope = 'to compare only the low 32 bits';
  } else {
    narrow = { ...i, code: (i.code & ~0x07) | Class.ALU };
    builder = `${i.off === 1 ? 's' : ''}${opName(AluOp, op)}32`;
    scope = 'to work on the low 32 bits (the upper half becomes 0)';
  }
  const wide =
    cls === Class.ALU64 && op === AluOp.MOV
      ? `\`r${i.dst} = ${hex} ll\` (ldImm64(R${i.dst}, ${hex}n))`
      : `\`rN = ${hex} ll\` (ldImm64(RN, ${hex}n)) into a spare register, then use rN instead of the immediate`;
  const negative = value - 0x100000000;
  return (
    `immediate ${value} (${hex}) does not fit: this 64-bit operation sign-extends its 32-bit immediate, ` +
    `so the CPU would use ${negative} (0xffffffff${value.toString(16).padStart(8, '0')}), not ${value}. ` +
    `Write ${negative} if that is meant; the 32-bit form \`${formatInstruction(narrow)}\` (${builder}) ${scope}; ` +
    `or, for the 64-bit value ${value}, load it with ld_imm64: ${wide}`
  );
}

function invalidOpcode(code: number): string {
  const cls = code & 0x07;
  const mode = code & 0xe0;
  const size = SIZE_NAMES[(code & 0x18) >> 3];
  if (cls === Class.LDX && mode === Mode.MEMSX) return `sign-extending load does not allow size ${size}`;
  if (cls === Class.LD && (mode === Mode.ABS || mode === Mode.IND)) {
    return `legacy packet load does not allow size ${size}`;
  }
  return `unknown opcode 0x${code.toString(16).padStart(2, '0')}`;
}

function checkAlu(i: Instruction, kind: number, x: boolean): string | undefined {
  const op = i.code & 0xf0;
  if (i.dst === 10) return 'r10 (frame pointer) is read-only and cannot be a destination';
  if (kind === Kind.END) {
    if (i.imm !== 16 && i.imm !== 32 && i.imm !== 64)
      return `byte swap width must be 16, 32 or 64, not ${i.imm}`;
    if (i.src !== 0 || i.off !== 0) return 'byte swap uses no source register or offset';
    return undefined;
  }
  if (kind === Kind.NEG)
    return i.src !== 0 || i.off !== 0 || i.imm !== 0 ? 'neg takes no operand' : undefined;
  if (x && i.imm !== 0) return 'immediate must be 0 when the operand is a register';
  if (!x && i.src !== 0) return 'source register must be 0 when the operand is an immediate';
  if (kind === Kind.MOV) {
    if (i.off === 0) return undefined;
    const wide = (i.code & 0x07) === Class.ALU64;
    if (x && (i.off === 8 || i.off === 16 || (wide && i.off === 32))) return undefined;
    return `movsx sign-extends from ${wide ? '8, 16 or 32' : '8 or 16'} bits, not offset ${i.off}`;
  }
  if (i.off !== 0 && !(i.off === 1 && (op === AluOp.DIV || op === AluOp.MOD))) {
    return `offset must be 0 (1 only for sdiv/smod), not ${i.off}`;
  }
  return undefined;
}

function checkJump(i: Instruction, kind: number, x: boolean): string | undefined {
  if (kind === Kind.CALL) {
    if (i.dst !== 0) return 'call uses no destination register';
    if (i.src > PseudoCall.KFUNC)
      return `call source ${i.src} is not 0 (helper), 1 (bpf-to-bpf) or 2 (kfunc)`;
    if (i.src !== PseudoCall.KFUNC && i.off !== 0) return 'call offset must be 0';
    if (i.target !== undefined && i.src !== PseudoCall.CALL)
      return 'only bpf-to-bpf calls (src 1) name a label';
    return undefined;
  }
  if (kind === Kind.EXIT) {
    return i.dst !== 0 || i.src !== 0 || i.off !== 0 || i.imm !== 0 ? 'exit takes no operands' : undefined;
  }
  if (kind === Kind.JA || kind === Kind.GOTOL) {
    if (i.dst !== 0 || i.src !== 0) return 'unconditional jump uses no registers';
    if (kind === Kind.JA && i.imm !== 0) return 'goto keeps its offset in off; imm must be 0 (use gotol)';
    if (kind === Kind.GOTOL && i.off !== 0) return 'gotol keeps its offset in imm; off must be 0';
  } else {
    if (x && i.imm !== 0) return 'immediate must be 0 when the operand is a register';
    if (!x && i.src !== 0) return 'source register must be 0 when the operand is an immediate';
  }
  if (i.target !== undefined && (i.off !== 0 || (kind === Kind.GOTOL && i.imm !== 0))) {
    return `jump names label '${i.target}' and also has an offset`;
  }
  return undefined;
}

function checkLdImm64(i: Instruction): string | undefined {
  if (i.dst === 10) return 'r10 (frame pointer) is read-only and cannot be a destination';
  if (i.off !== 0) return 'ld_imm64 offset must be 0';
  if (!isInt(i.src, 0, PseudoLd.MAP_IDX_VALUE)) return `ld_imm64 source ${i.src} is not a pseudo type 0-6`;
  if (!imm32(i.imm2 ?? 0)) return `second immediate ${i.imm2} does not fit 32 bits`;
  const hasValueOffset = i.src === PseudoLd.MAP_VALUE || i.src === PseudoLd.MAP_IDX_VALUE;
  if (!hasValueOffset && i.src !== PseudoLd.IMM && (i.imm2 ?? 0) !== 0) {
    return 'second immediate must be 0 for this ld_imm64 form';
  }
  if (i.map !== undefined && i.src !== PseudoLd.MAP_FD && i.src !== PseudoLd.MAP_VALUE) {
    return 'a map name needs ld_imm64 source 1 (map fd) or 2 (map value)';
  }
  if (i.target !== undefined && i.src !== PseudoLd.FUNC) return 'only ld_imm64 source 4 (func) names a label';
  return undefined;
}

function checkAtomic(i: Instruction): string | undefined {
  const size = i.code & 0x18;
  const name = SIZE_NAMES[size >> 3];
  if (i.imm === AtomicOp.LOAD_ACQ) {
    return i.dst === 10 ? 'r10 (frame pointer) is read-only and cannot be a destination' : undefined;
  }
  if (i.imm === AtomicOp.STORE_REL) return undefined;
  const op = i.imm & ~AtomicOp.FETCH;
  const known =
    i.imm === AtomicOp.XCHG ||
    i.imm === AtomicOp.CMPXCHG ||
    op === AtomicOp.ADD ||
    op === AtomicOp.OR ||
    op === AtomicOp.AND ||
    op === AtomicOp.XOR;
  if (!known) return `unknown atomic operation 0x${i.imm.toString(16)}`;
  if (size !== Size.W && size !== Size.DW)
    return `atomic read-modify-write needs size u32 or u64, not ${name}`;
  if ((i.imm & AtomicOp.FETCH) !== 0 && i.imm !== AtomicOp.CMPXCHG && i.src === 10) {
    return 'r10 (frame pointer) is read-only and cannot receive the fetched value';
  }
  return undefined;
}

function checkMemory(i: Instruction, kind: number): string | undefined {
  switch (kind) {
    case Kind.LD_IMM64:
      return checkLdImm64(i);
    case Kind.LD_ABS:
    case Kind.LD_IND:
      if (i.dst !== 0 || i.off !== 0) return 'legacy packet loads use no destination register or offset';
      if (kind === Kind.LD_ABS && i.src !== 0) return 'ld_abs uses no source register';
      return undefined;
    case Kind.LDX:
    case Kind.LDX_SX:
      if (i.dst === 10) return 'r10 (frame pointer) is read-only and cannot be a destination';
      return i.imm !== 0 ? 'loads take no immediate' : undefined;
    case Kind.ST:
      return i.src !== 0 ? 'store of an immediate uses no source register' : undefined;
    case Kind.STX:
      return i.imm !== 0 ? 'store of a register takes no immediate' : undefined;
    default:
      return checkAtomic(i);
  }
}

/**
 * Why `insn` cannot be encoded, or `undefined` when it can: registers out of range, r10 as a
 * destination, immediates beyond 32 bits, an immediate in [2^31, 2^32) on an operation that
 * sign-extends it to 64 bits (`r3 = 0xffffffff` would set r3 to -1), offsets beyond 16 bits,
 * sizes an operation does not allow, reserved fields that are not zero, labels or map names
 * where none fit.
 */
export function validateInstruction(i: Instruction): string | undefined {
  const code = i.code;
  if (!isInt(code, 0, 255)) return `opcode ${code} is not a byte`;
  const kind = KIND_OF[code]!;
  if (kind === Kind.INVALID) return invalidOpcode(code);
  if (!isInt(i.dst, 0, 10)) return `destination register r${i.dst} is out of range (r0-r10)`;
  if (!isInt(i.src, 0, 10)) return `source register r${i.src} is out of range (r0-r10)`;
  if (!isInt(i.off, -0x8000, 0x7fff)) return `offset ${i.off} does not fit 16 bits`;
  if (!isInt(i.imm, -0x80000000, 0x7fffffff)) {
    if (!imm32(i.imm)) return `immediate ${i.imm} does not fit 32 bits`;
    if (signExtendsImm(code)) return signExtended(i);
  }
  if (i.imm2 !== undefined && kind !== Kind.LD_IMM64) return 'only ld_imm64 has a second immediate';
  if (i.map !== undefined && kind !== Kind.LD_IMM64) return 'only ld_imm64 loads a map';
  const x = (code & 0x08) !== 0;
  if (i.target !== undefined && kind !== Kind.LD_IMM64 && !(kind >= Kind.JA && kind <= Kind.CALL)) {
    return 'only jumps, calls and ld_imm64 func name a label';
  }
  if (kind <= Kind.END) return checkAlu(i, kind, x);
  if (kind <= Kind.EXIT) return checkJump(i, kind, x);
  return checkMemory(i, kind);
}
