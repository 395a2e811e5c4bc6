import { ElfError } from '@ts-ebpf/elf-reader';
import type { ByteOrder } from '@ts-ebpf/uapi';

/** `enum __bpf_usdt_arg_type` of libbpf's `usdt.bpf.h`. */
export const UsdtArgKind = { CONST: 0, REG: 1, REG_DEREF: 2 } as const;

/** The most arguments `usdt.bpf.h` holds per probe (`BPF_USDT_MAX_ARG_CNT`). */
export const USDT_MAX_ARGS = 12;
/** Bytes of one `struct __bpf_usdt_arg_spec`. */
const ARG_SPEC_SIZE = 16;
/** Bytes of `struct __bpf_usdt_spec`: 12 argument specs, `u64 usdt_cookie`, `short arg_cnt`, padded to 8. */
export const USDT_SPEC_SIZE = 208;

/** How `bpf_usdt_arg()` finds one argument of a probe. */
export interface UsdtArgSpec {
  /** A constant (`-4@$-9`), a register (`8@%rax`), or memory at a register plus an offset (`-4@-1204(%rbp)`). */
  readonly kind: 'const' | 'reg' | 'reg-deref';
  /** The argument's size in bytes: 1, 2, 4 or 8. */
  readonly size: 1 | 2 | 4 | 8;
  /** Whether it is sign-extended to 64 bits (a negative size in the note). */
  readonly signed: boolean;
  /** The constant (`const`) or the offset from the register (`reg-deref`); 0n for `reg`. */
  readonly value: bigint;
  /** The register's name as written (`edi`, `r9w`), for `reg` and `reg-deref`. */
  readonly register?: string;
  /** Offset of the register's slot in the kernel's `struct pt_regs`, for `reg` and `reg-deref`. */
  readonly regOffset: number;
}

/**
 * x86-64 `struct pt_regs` (arch/x86/include/asm/ptrace.h): the slot of each general
 * register, and the names of its 64/32/16/8-bit parts that address the low bits.
 */
const X86_64_REGS: readonly [offset: number, names: readonly string[]][] = [
  [0, ['r15', 'r15d', 'r15w', 'r15b']],
  [8, ['r14', 'r14d', 'r14w', 'r14b']],
  [16, ['r13', 'r13d', 'r13w', 'r13b']],
  [24, ['r12', 'r12d', 'r12w', 'r12b']],
  [32, ['rbp', 'ebp', 'bp', 'bpl']],
  [40, ['rbx', 'ebx', 'bx', 'bl']],
  [48, ['r11', 'r11d', 'r11w', 'r11b']],
  [56, ['r10', 'r10d', 'r10w', 'r10b']],
  [64, ['r9', 'r9d', 'r9w', 'r9b']],
  [72, ['r8', 'r8d', 'r8w', 'r8b']],
  [80, ['rax', 'eax', 'ax', 'al']],
  [88, ['rcx', 'ecx', 'cx', 'cl']],
  [96, ['rdx', 'edx', 'dx', 'dl']],
  [104, ['rsi', 'esi', 'si', 'sil']],
  [112, ['rdi', 'edi', 'di', 'dil']],
  [128, ['rip', 'eip']],
  [152, ['rsp', 'esp', 'sp', 'spl']],
];

/** Register name → its `struct pt_regs` slot (x86-64). */
export const X86_64_PT_REGS_OFFSET: ReadonlyMap<string, number> = new Map(
  X86_64_REGS.flatMap(([offset, names]) => names.map((n) => [n, offset] as const)),
);

/** The high-byte registers, which no `pt_regs` slot starts at. */
const HIGH_BYTE = new Set(['ah', 'bh', 'ch', 'dh']);

const NUMBER = '(-?(?:0x[0-9a-f]+|\\d+))';
const OPERAND = {
  constant: new RegExp(`^\\$${NUMBER}$`, 'i'),
  register: /^%(\w+)$/,
  memory: new RegExp(`^${NUMBER}?\\(%(\\w+)\\)$`, 'i'),
};

const toBigInt = (text: string): bigint => (text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text));

/**
 * Reads one x86-64 operand of a `.note.stapsdt` argument string (`<size>@<operand>`,
 * size negative for signed arguments) into what `usdt.bpf.h` needs.
 * @returns the spec, or a string saying why the operand cannot be expressed
 */
export function parseX86UsdtArg(text: string): UsdtArgSpec | string {
  const at = text.indexOf('@');
  if (at < 0) return 'has no <size>@ prefix';
  const sizeText = text.slice(0, at);
  const operand = text.slice(at + 1);
  if (!/^-?\d+$/.test(sizeText)) return `size '${sizeText}' is not a number`;
  const sized = Number(sizeText);
  const size = Math.abs(sized);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return `size ${size} is not 1, 2, 4 or 8 bytes`;
  const base = { size: size as 1 | 2 | 4 | 8, signed: sized < 0 };
  const register = (name: string): number | string => {
    const offset = X86_64_PT_REGS_OFFSET.get(name.toLowerCase());
    if (offset !== undefined) return offset;
    return HIGH_BYTE.has(name.toLowerCase())
      ? `high-byte register %${name} is not supported (no pt_regs slot starts at it)`
      : `unknown register %${name}`;
  };
  let m = OPERAND.constant.exec(operand);
  if (m) {
    const value = toBigInt(m[1]!);
    if (value < -(1n << 63n) || value >= 1n << 64n) return `constant ${m[1]} does not fit 64 bits`;
    return { ...base, kind: 'const', value, regOffset: 0 };
  }
  m = OPERAND.register.exec(operand);
  if (m) {
    const offset = register(m[1]!);
    if (typeof offset === 'string') return offset;
    return { ...base, kind: 'reg', value: 0n, register: m[1]!, regOffset: offset };
  }
  m = OPERAND.memory.exec(operand);
  if (m) {
    const offset = register(m[2]!);
    if (typeof offset === 'string') return offset;
    const value = m[1] === undefined ? 0n : toBigInt(m[1]);
    if (value < -(1n << 63n) || value >= 1n << 63n) return `offset ${m[1]} does not fit 64 bits`;
    if (offset === X86_64_PT_REGS_OFFSET.get('rip'))
      return `%rip-relative memory is not supported (its address depends on where the binary is mapped)`;
    return { ...base, kind: 'reg-deref', value, register: m[2]!, regOffset: offset };
  }
  if (/\(.*,.*\)/.test(operand))
    return 'scaled-index memory operands are not supported by usdt.bpf.h of libbpf 1.1';
  if (/^[A-Za-z_.]/.test(operand)) return 'symbol-relative operands are not supported';
  return 'is not a constant ($N), a register (%reg) or memory (N(%reg))';
}

/**
 * The argument specs of a probe's argument string (space-separated operands; empty for
 * a probe without arguments).
 * @returns the specs, or the index, text and reason of the first argument that cannot be read
 */
export function parseX86UsdtArgs(args: string): UsdtArgSpec[] | { index: number; text: string; why: string } {
  const parts = args.trim() === '' ? [] : args.trim().split(/\s+/);
  const out: UsdtArgSpec[] = [];
  for (const [index, text] of parts.entries()) {
    const spec = parseX86UsdtArg(text);
    if (typeof spec === 'string') return { index, text, why: spec };
    out.push(spec);
  }
  return out;
}

/**
 * The value of `usdt.bpf.h`'s spec map (`struct __bpf_usdt_spec`) for a probe's arguments
 * and the user's cookie (`bpf_usdt_cookie()`), in the kernel's byte order `order`.
 * @throws ElfError for more than {@link USDT_MAX_ARGS} arguments (callers check first)
 */
export function encodeUsdtSpec(args: readonly UsdtArgSpec[], cookie: bigint, order: ByteOrder): Uint8Array {
  if (args.length > USDT_MAX_ARGS)
    throw new ElfError(`USDT spec: ${args.length} arguments, usdt.bpf.h holds at most ${USDT_MAX_ARGS}`);
  const storage = new ArrayBuffer(USDT_SPEC_SIZE);
  const out = new Uint8Array(storage);
  const v = new DataView(storage);
  const le = order === 'little';
  for (const [i, a] of args.entries()) {
    const at = i * ARG_SPEC_SIZE;
    v.setBigUint64(at, BigInt.asUintN(64, a.value), le);
    v.setUint32(
      at + 8,
      UsdtArgKind[a.kind === 'const' ? 'CONST' : a.kind === 'reg' ? 'REG' : 'REG_DEREF'],
      le,
    );
    v.setInt16(at + 12, a.regOffset, le);
    v.setUint8(at + 14, a.signed ? 1 : 0);
    v.setUint8(at + 15, 64 - a.size * 8);
  }
  v.setBigUint64(USDT_MAX_ARGS * ARG_SPEC_SIZE, BigInt.asUintN(64, cookie), le);
  v.setInt16(USDT_MAX_ARGS * ARG_SPEC_SIZE + 8, args.length, le);
  return out;
}
