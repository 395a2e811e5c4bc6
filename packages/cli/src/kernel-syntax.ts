import {
  AluOp,
  AtomicOp,
  Class,
  type Instruction,
  JmpOp,
  LD_IMM64,
  Mode,
  PseudoLd,
  SIZE_NAMES,
  Source,
} from '@ts-ebpf/dsl';

// One instruction in the kernel's own syntax, as its verifier log and `bpftool prog dump xlated`
// print it (kernel/bpf/disasm.c, print_bpf_insn), not the dsl's: `*(u32 *)(r1 +0)` with the
// offset signed against the register, `if r1 == 0x1 goto pc+1` with the immediate in hex and the
// jump relative to the pc, `r1 = 0x200000001` without llvm's `ll`. Calls are named by the caller
// (they need the kernel's symbols); an ld_imm64 carrying a map says its map id, as the kernel
// hands xlated code out.

// The kernel's texts of the ALU and jump ops, indexed by `op >> 4` as its own tables are: ADD SUB
// MUL DIV OR AND LSH RSH NEG MOD XOR MOV ARSH (linux/bpf_common.h, linux/bpf.h); JA JEQ JGT JGE
// JSET JNE JSGT JSGE CALL EXIT JLT JLE JSLT JSLE.
const ALU_ASSIGN = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>='];
const JUMP_TEXT = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];
/** The signed division and modulo (`off` 1). */
const SIGNED_ASSIGN: Record<number, string> = { [AluOp.DIV]: 's/=', [AluOp.MOD]: 's%=' };
/** Sign-extending moves by their `off` (8, 16 or 32 bits). */
const MOVSX: Record<number, string> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };
/** `off` of a mov that casts between address spaces, and of one that makes a per-CPU address. */
const ADDR_SPACE_CAST = 1;
const ADDR_PERCPU = -1;

/** `src_reg` of a `JCOND` jump that is `may_goto`. */
const MAY_GOTO = 0;

const ATOMIC_NAMES: Record<number, string> = {
  [AtomicOp.ADD]: 'add',
  [AtomicOp.AND]: 'and',
  [AtomicOp.OR]: 'or',
  [AtomicOp.XOR]: 'xor',
};
/** `BPF_ST | BPF_NOSPEC`'s mode: a speculation barrier the verifier inserts. */
const MODE_NOSPEC = 0xc0;
/** Sizes of sign-extending loads, indexed by `(size >> 3)`. */
const SIGNED_SIZES = ['s32', 's16', 's8'];

const hex2 = (code: number) => code.toString(16).padStart(2, '0');
/** C's `%+d`. */
const plus = (n: number) => (n < 0 ? `${n}` : `+${n}`);
/** `(u32 *)(r1 +0)`: an access's size, base register and offset. */
const at = (size: string | undefined, reg: number, off: number) => `(${size} *)(r${reg} ${plus(off)})`;

/**
 * The text of an instruction other than a call as the kernel prints it (without the `(op) `
 * opcode in front). An ld_imm64 of a map (`src` MAP_FD or MAP_VALUE) is printed with its `imm` as
 * the map id (`map[id:12]`, `map[id:12][0]+8`), as xlated code holds it. An encoding the kernel
 * has no text for is `BUG_…`, as it prints it.
 */
export function kernelSyntax(i: Instruction): string {
  switch (i.code & 0x07) {
    case Class.ALU:
    case Class.ALU64:
      return alu(i);
    case Class.STX:
      return store(i);
    case Class.ST:
      if ((i.code & 0xe0) === Mode.MEM)
        return `*${at(SIZE_NAMES[(i.code >> 3) & 3], i.dst, i.off)} = ${i.imm}`;
      return (i.code & 0xe0) === MODE_NOSPEC ? 'nospec' : `BUG_st_${hex2(i.code)}`;
    case Class.LDX: {
      const mode = i.code & 0xe0;
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return `BUG_ldx_${hex2(i.code)}`;
      const size = (mode === Mode.MEM ? SIZE_NAMES : SIGNED_SIZES)[(i.code >> 3) & 3];
      return `r${i.dst} = *${at(size, i.src, i.off)}`;
    }
    case Class.LD:
      return load(i);
    default:
      return jump(i);
  }
}

function alu(i: Instruction): string {
  const r = (i.code & 0x07) === Class.ALU ? 'w' : 'r';
  const op = i.code & 0xf0;
  const x = (i.code & Source.X) !== 0;
  if (op === AluOp.END) {
    if ((i.code & 0x07) === Class.ALU64) return `r${i.dst} = bswap${i.imm} r${i.dst}`;
    return `r${i.dst} = ${x ? 'be' : 'le'}${i.imm} r${i.dst}`;
  }
  if (op === AluOp.NEG) return `${r}${i.dst} = -${r}${i.dst}`;
  const mov64x = i.code === (Class.ALU64 | AluOp.MOV | Source.X);
  if (mov64x && i.off === ADDR_SPACE_CAST)
    return `r${i.dst} = addr_space_cast(r${i.src}, ${(i.imm >>> 16) & 0xffff}, ${i.imm & 0xffff})`;
  if (mov64x && i.off === ADDR_PERCPU) return `r${i.dst} = &(void __percpu *)(r${i.src})`;
  const assign = (i.off === 1 ? SIGNED_ASSIGN[op] : undefined) ?? ALU_ASSIGN[op >> 4] ?? '(null)';
  if (!x) return `${r}${i.dst} ${assign} ${i.imm}`;
  const movsx = op === AluOp.MOV ? (MOVSX[i.off] ?? '') : '';
  return `${r}${i.dst} ${assign} ${movsx}${r}${i.src}`;
}

function store(i: Instruction): string {
  const size = SIZE_NAMES[(i.code >> 3) & 3];
  const mode = i.code & 0xe0;
  if (mode === Mode.MEM) return `*${at(size, i.dst, i.off)} = r${i.src}`;
  if (mode !== Mode.ATOMIC) return `BUG_${hex2(i.code)}`;
  const bits = (i.code & 0x18) === 0x18 ? '64' : '';
  const name = ATOMIC_NAMES[i.imm & ~AtomicOp.FETCH];
  if (name !== undefined && (i.imm & AtomicOp.FETCH) === 0)
    return `lock *${at(size, i.dst, i.off)} ${ALU_ASSIGN[i.imm >> 4]} r${i.src}`;
  if (name !== undefined)
    return `r${i.src} = atomic${bits}_fetch_${name}(${at(size, i.dst, i.off)}, r${i.src})`;
  switch (i.imm) {
    case AtomicOp.CMPXCHG:
      return `r0 = atomic${bits}_cmpxchg(${at(size, i.dst, i.off)}, r0, r${i.src})`;
    case AtomicOp.XCHG:
      return `r${i.src} = atomic${bits}_xchg(${at(size, i.dst, i.off)}, r${i.src})`;
    case AtomicOp.LOAD_ACQ:
      return `r${i.dst} = load_acquire(${at(size, i.src, i.off)})`;
    case AtomicOp.STORE_REL:
      return `store_release(${at(size, i.dst, i.off)}, r${i.src})`;
    default:
      return `BUG_${hex2(i.code)}`;
  }
}

function load(i: Instruction): string {
  const size = SIZE_NAMES[(i.code >> 3) & 3];
  const mode = i.code & 0xe0;
  if (mode === Mode.ABS) return `r0 = *(${size} *)skb[${i.imm}]`;
  if (mode === Mode.IND) return `r0 = *(${size} *)skb[r${i.src} + ${i.imm}]`;
  if (i.code !== LD_IMM64) return `BUG_ld_${hex2(i.code)}`;
  const high = i.imm2 ?? 0;
  switch (i.src) {
    case PseudoLd.MAP_FD:
      return `r${i.dst} = map[id:${i.imm}]`;
    case PseudoLd.MAP_VALUE:
      return `r${i.dst} = map[id:${i.imm}][0]+${high}`;
    case PseudoLd.MAP_IDX_VALUE:
      return `r${i.dst} = map[idx:${i.imm}]+${high}`;
    case PseudoLd.FUNC:
      return `r${i.dst} = subprog[${plus(i.imm)}]`;
    default: {
      const value = (BigInt(high >>> 0) << 32n) | BigInt(i.imm >>> 0);
      return `r${i.dst} = 0x${value.toString(16)}`;
    }
  }
}

function jump(i: Instruction): string {
  const op = i.code & 0xf0;
  if (i.code === (Class.JMP | JmpOp.JA)) return `goto pc${plus(i.off)}`;
  if (i.code === (Class.JMP | JmpOp.JCOND) && i.src === MAY_GOTO) return `may_goto pc${plus(i.off)}`;
  if (i.code === (Class.JMP32 | JmpOp.JA)) return `gotol pc${plus(i.imm)}`;
  if (i.code === (Class.JMP | JmpOp.EXIT)) return 'exit';
  const r = (i.code & 0x07) === Class.JMP32 ? 'w' : 'r';
  const compare = JUMP_TEXT[op >> 4] ?? '(null)';
  const operand = (i.code & Source.X) !== 0 ? `${r}${i.src}` : `0x${(i.imm >>> 0).toString(16)}`;
  return `if ${r}${i.dst} ${compare} ${operand} goto pc${plus(i.off)}`;
}
