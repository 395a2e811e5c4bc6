/**
 * Operators and size names for the text parser's fast path, read by character code from
 * `text[at, end)` without cutting out substrings. Each returns -1 when the text does not
 * start with what it reads; the fast path then hands the line to the general path.
 * @module
 */
import { AluOp, AtomicOp, JmpOp, Size } from './opcodes.js';
import { isWordChar } from './parse-operands.js';

/** ALU operation of the one-character compound operators (`+=` … `^=`), by character code. */
const ALU_BY_CHAR: Readonly<Record<number, number>> = {
  43: AluOp.ADD,
  45: AluOp.SUB,
  42: AluOp.MUL,
  47: AluOp.DIV,
  37: AluOp.MOD,
  124: AluOp.OR,
  38: AluOp.AND,
  94: AluOp.XOR,
};

const S = 115;
const EQUALS = 61;
const LESS = 60;
const GREATER = 62;

/**
 * A compound assignment operator with its `=` (`+=`, `<<=`, `s>>=`, `s/=`, `s%=` …):
 * `aluOp | signed << 8 | length << 9`, where `signed` is the `off` that makes `/` and `%`
 * signed and `length` counts the characters read.
 */
export function aluOperatorAt(text: string, at: number, end: number): number {
  const signed = at < end && text.charCodeAt(at) === S;
  const p = signed ? at + 1 : at;
  const c = p < end ? text.charCodeAt(p) : -1;
  let op: number;
  let length = 1;
  if (c === LESS || c === GREATER) {
    if (p + 1 >= end || text.charCodeAt(p + 1) !== c) return -1;
    length = 2;
    op = c === LESS ? AluOp.LSH : signed ? AluOp.ARSH : AluOp.RSH;
  } else {
    op = ALU_BY_CHAR[c] ?? -1;
    if (op < 0) return -1;
  }
  if (signed && c !== 47 && c !== 37 && c !== GREATER) return -1;
  const q = p + length;
  if (q >= end || text.charCodeAt(q) !== EQUALS) return -1;
  return op | ((signed && c !== GREATER ? 1 : 0) << 8) | ((q + 1 - at) << 9);
}

/**
 * The comparison of a conditional jump (`==`, `!=`, `>`, `s>=`, `&` …): its opcode bits
 * `| length << 8`.
 */
export function comparisonAt(text: string, at: number, end: number): number {
  const signed = at < end && text.charCodeAt(at) === S;
  const p = signed ? at + 1 : at;
  const c = p < end ? text.charCodeAt(p) : -1;
  const next = p + 1 < end ? text.charCodeAt(p + 1) : -1;
  const s = signed ? 1 : 0;
  if (c === GREATER || c === LESS) {
    const orEqual = next === EQUALS;
    let op: number;
    if (c === GREATER) op = signed ? (orEqual ? JmpOp.JSGE : JmpOp.JSGT) : orEqual ? JmpOp.JGE : JmpOp.JGT;
    else op = signed ? (orEqual ? JmpOp.JSLE : JmpOp.JSLT) : orEqual ? JmpOp.JLE : JmpOp.JLT;
    return op | ((s + 1 + (orEqual ? 1 : 0)) << 8);
  }
  if (signed) return -1;
  if (c === 38) return JmpOp.JSET | (1 << 8);
  if (next !== EQUALS) return -1;
  if (c === EQUALS) return JmpOp.JEQ | (2 << 8);
  return c === 33 ? JmpOp.JNE | (2 << 8) : -1;
}

/** A bit width `8`, `16`, `32` or `64` as a whole word (not followed by a word character). */
export function widthAt(text: string, at: number, end: number): number {
  const first = at < end ? text.charCodeAt(at) : -1;
  const second = at + 1 < end ? text.charCodeAt(at + 1) : -1;
  let bits = -1;
  if (first === 56) bits = 8;
  else if (first === 49 && second === 54) bits = 16;
  else if (first === 51 && second === 50) bits = 32;
  else if (first === 54 && second === 52) bits = 64;
  const after = at + (bits === 8 ? 1 : 2);
  if (bits < 0 || (after < end && isWordChar(text.charCodeAt(after)))) return -1;
  return bits;
}

/** Number of characters of a width {@link widthAt} read. */
export function widthLength(bits: number): number {
  return bits === 8 ? 1 : 2;
}

/** The `Size` of an access of `bits` (8 … 64). */
export function sizeOfWidth(bits: number): number {
  if (bits === 8) return Size.B;
  if (bits === 16) return Size.H;
  return bits === 32 ? Size.W : Size.DW;
}

/** The atomic operation of `lock … op= rS` (`+`, `|`, `&`, `^`) by character code; -1 for others. */
export function atomicOperator(c: number): number {
  if (c === 43) return AtomicOp.ADD;
  if (c === 124) return AtomicOp.OR;
  if (c === 38) return AtomicOp.AND;
  return c === 94 ? AtomicOp.XOR : -1;
}
