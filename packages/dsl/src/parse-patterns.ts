/**
 * Patterns and operator tables of the text parser. Statements reach them normalized:
 * whitespace collapsed and removed next to punctuation (`*(u32*)(r1+4)`).
 * @module
 */
import { AluOp, AtomicOp, JmpOp, Size } from './opcodes.js';
import { IDENT, MEM, NUM, REG, SIZE } from './parse-operands.js';

/** Compound assignment operators: ALU op and the `off` that makes it signed. */
export const ALU_OPS: Record<string, [number, number]> = {
  '+': [AluOp.ADD, 0],
  '-': [AluOp.SUB, 0],
  '*': [AluOp.MUL, 0],
  '/': [AluOp.DIV, 0],
  's/': [AluOp.DIV, 1],
  '%': [AluOp.MOD, 0],
  's%': [AluOp.MOD, 1],
  '|': [AluOp.OR, 0],
  '&': [AluOp.AND, 0],
  '^': [AluOp.XOR, 0],
  '<<': [AluOp.LSH, 0],
  '>>': [AluOp.RSH, 0],
  's>>': [AluOp.ARSH, 0],
};
/** Comparison operators of conditional jumps. */
export const JUMP_OPS: Record<string, number> = {
  '==': JmpOp.JEQ,
  '!=': JmpOp.JNE,
  '>': JmpOp.JGT,
  '>=': JmpOp.JGE,
  '<': JmpOp.JLT,
  '<=': JmpOp.JLE,
  '&': JmpOp.JSET,
  's>': JmpOp.JSGT,
  's>=': JmpOp.JSGE,
  's<': JmpOp.JSLT,
  's<=': JmpOp.JSLE,
};
/** `atomic_fetch_<op>` names. */
export const ATOMIC_OPS: Record<string, number> = {
  add: AtomicOp.ADD,
  or: AtomicOp.OR,
  and: AtomicOp.AND,
  xor: AtomicOp.XOR,
};
/** Operators of `lock *(…) op= reg`. */
export const ATOMIC_SYMS: Record<string, number> = {
  '+': AtomicOp.ADD,
  '|': AtomicOp.OR,
  '&': AtomicOp.AND,
  '^': AtomicOp.XOR,
};
/** Unsigned access sizes. */
export const SIZES: Record<string, number> = { u8: Size.B, u16: Size.H, u32: Size.W, u64: Size.DW };
/** Sign-extending access sizes. */
export const SX_SIZES: Record<string, number> = { s8: Size.B, s16: Size.H, s32: Size.W };

function re(source: string): RegExp {
  return new RegExp(`^${source}$`);
}

/** Whole statements. */
export const P = {
  alu: re(`${REG} ?(s>>|s/|s%|<<|>>|[-+*/%|&^])=(?:${REG}|(${NUM}))`),
  jcond: re(`if ${REG} ?(==|!=|s>=|s<=|s>|s<|>=|<=|>|<|&)(?:${REG}|(${NUM})) goto ?(?:pc)?(${NUM}|${IDENT})`),
  goto: re(`goto(l)? ?(?:pc)?(${NUM}|${IDENT})`),
  call: re(`call ?(?:pc)?(${NUM})`),
  kfunc: re(`call kfunc#(${NUM})(?:@(${NUM}))?`),
  callName: re(`call (${IDENT})(?:#(${NUM}))?`),
  lock: re(`lock\\*\\(${SIZE}\\*\\)${MEM}([-+|&^])=${REG}`),
  storeRel: re(`store_release\\(\\(${SIZE}\\*\\)${MEM},${REG}\\)`),
  store: re(`\\*\\(${SIZE}\\*\\)${MEM}=(?:${REG}|(${NUM}))`),
  assign: re(`${REG}=(.+)`),
};
/** Right-hand sides of `rN = …`. */
export const RHS = {
  load: re(`\\*\\(${SIZE}\\*\\)${MEM}`),
  skb: re(`\\*\\(${SIZE}\\*\\)skb\\[(?:r(\\d+))?\\+?(${NUM})?\\]`),
  loadAcq: re(`load_acquire\\(\\(${SIZE}\\*\\)${MEM}\\)`),
  fetch: re(`atomic(?:64)?_fetch_(add|or|and|xor)\\(\\(${SIZE}\\*\\)${MEM},${REG}\\)`),
  xchg: re(`xchg(_64|32_32)\\(r(\\d+)(${NUM})?,${REG}\\)`),
  cmpxchg: re(`cmpxchg(_64|32_32)\\(r(\\d+)(${NUM})?,[rw]0,${REG}\\)`),
  /** Kernel verifier spelling: `atomic64_xchg((u64 *)(r10 -8), r1)`. */
  kxchg: re(`atomic(?:64)?_xchg\\(\\(${SIZE}\\*\\)${MEM},${REG}\\)`),
  /** Kernel verifier spelling: `atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)`. */
  kcmpxchg: re(`atomic(?:64)?_cmpxchg\\(\\(${SIZE}\\*\\)${MEM},[rw]0,${REG}\\)`),
  imm64: re(`(${NUM}) ll`),
  map: re(`map\\[(?:(fd|idx):(${NUM})|(${IDENT}))\\](?:\\[0\\]\\+(${NUM}))?`),
  btf: re(`btf_id\\[(${NUM})\\]`),
  func: re(`func\\[(?:pc(${NUM})|(${IDENT}))\\]`),
  movsx: re(`\\((s8|s16|s32)\\)${REG}`),
  neg: re(`-${REG}`),
  end: re(`(le|be|bswap)(16|32|64) r(\\d+)`),
  reg: re(REG),
  num: re(NUM),
};
