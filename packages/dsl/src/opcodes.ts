/**
 * Opcode field values of the BPF instruction set (RFC 9669 plus later kernel additions).
 * An opcode byte is `class | op | source` (arithmetic and jumps) or `class | mode | size`
 * (loads and stores).
 * @module
 */

/** Instruction classes: the low three bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Source operand bit of arithmetic and jump opcodes: immediate (`K`) or register (`X`). */
export const Source = { K: 0x00, X: 0x08 } as const;

/** Arithmetic operations (bits 4–7 of an ALU/ALU64 opcode). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operations (bits 4–7 of a JMP/JMP32 opcode). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/** Access sizes of loads and stores (bits 3–4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Addressing modes of loads and stores (bits 5–7). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Operations of `BPF_ATOMIC` instructions, carried in the immediate. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Flag: the old value is returned in the source register. */
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  /** Load-acquire (kernel 6.15). */
  LOAD_ACQ: 0x100,
  /** Store-release (kernel 6.15). */
  STORE_REL: 0x110,
} as const;

/** `src_reg` values of `ld_imm64` that give the immediate a special meaning. */
export const PseudoLd = {
  /** Plain 64-bit constant. */
  IMM: 0,
  /** Immediate is a map file descriptor. */
  MAP_FD: 1,
  /** Immediate is a map fd, second immediate an offset into its value. */
  MAP_VALUE: 2,
  /** Immediate is a BTF id of a kernel variable. */
  BTF_ID: 3,
  /** Immediate is a relative instruction offset of a function. */
  FUNC: 4,
  /** Immediate is an index into the `fd_array` given at load time. */
  MAP_IDX: 5,
  /** Like MAP_IDX with a value offset in the second immediate. */
  MAP_IDX_VALUE: 6,
} as const;

/** `src_reg` values of a call instruction. */
export const PseudoCall = { HELPER: 0, CALL: 1, KFUNC: 2 } as const;

/** The opcode of the 16-byte `ld_imm64` instruction. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

/** Size in bytes of each `Size` value, indexed by `(size >> 3)`. */
export const SIZE_BYTES = [4, 2, 1, 8] as const;

/** Type names of each `Size` value (`u32`, `u16`, `u8`, `u64`), indexed by `(size >> 3)`. */
export const SIZE_NAMES = ['u32', 'u16', 'u8', 'u64'] as const;
