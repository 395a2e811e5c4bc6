/**
 * The text parser's fast path: reads the statements `format` prints most (moves, arithmetic,
 * byte swaps, loads, stores, `lock` updates, conditional jumps, `goto`, `call N`, `exit`,
 * `ld_imm64 … ll`) straight from the source text, without splitting lines, normalizing
 * whitespace or trying the pattern table.
 *
 * It accepts a statement only when it is certain the pattern table reads it the same way, and
 * returns `undefined` for anything else (labels, comments, `;`, other instructions, unusual
 * spacing, every error): the caller then parses that line the general way, which owns every
 * error message. A differential test holds the two to the same result.
 * @module
 */
import { ldImm64 } from './builders/ldimm64.js';
import { basicInstruction, type Instruction, makeInstruction } from './instruction.js';
import { AluOp, Class, JmpOp, Mode, Source } from './opcodes.js';
import { ALU_OPS, ATOMIC_SYMS, JUMP_OPS, SIZES, SX_SIZES } from './parse-patterns.js';
import { REGISTERS } from './registers.js';

// The statement being read: src[pos, end).
let src = '';
let pos = 0;
let end = 0;

const SPACE = 32;
const TAB = 9;
const CR = 13;

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === 11 || c === 12;
}

function skipSpaces(): void {
  while (pos < end && isSpace(src.charCodeAt(pos))) pos++;
}

/** Skips at least one space; false when there is none. */
function requireSpace(): boolean {
  if (pos >= end || !isSpace(src.charCodeAt(pos))) return false;
  skipSpaces();
  return true;
}

function peek(): number {
  return pos < end ? src.charCodeAt(pos) : -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return (
    isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c === 46 || c > 127
  );
}

/** Consumes `word` if it comes next and is not followed by another word character. */
function keyword(word: string): boolean {
  const n = word.length;
  if (pos + n > end || src.startsWith(word, pos) === false) return false;
  if (pos + n < end && isWordChar(src.charCodeAt(pos + n))) return false;
  pos += n;
  return true;
}

/** `[rw]N` with N ≤ 10: the register number, with the prefix in `regWide`; -1 when absent. */
let regWide = true;
function register(): number {
  const c = peek();
  if (c !== 114 && c !== 119) return -1;
  let p = pos + 1;
  let n = 0;
  const first = p;
  while (p < end && isDigit(src.charCodeAt(p)) && p - first < 3) n = n * 10 + src.charCodeAt(p++) - 48;
  if (p === first || n > 10 || (p < end && isWordChar(src.charCodeAt(p)))) return -1;
  regWide = c === 114;
  pos = p;
  return n;
}

/** Start of the last number read, for `ll` constants that need a bigint. */
let numStart = 0;
/** Whether the last number read is exact as a double (at most 15 decimal or 12 hex digits). */
let numExact = true;

/** A number literal that is exact as a double; NaN when absent or too long. */
function number(): number {
  const value = literal();
  return numExact ? value : Number.NaN;
}

/**
 * A number literal `[-+]?(0x[0-9a-f]+|\d+)`, spaces allowed after the sign (they are dropped next
 * to punctuation); NaN when absent. Sets `numExact`.
 */
function literal(): number {
  numStart = pos;
  let c = peek();
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    pos++;
    skipSpaces();
    c = peek();
  }
  if (!isDigit(c)) return Number.NaN;
  let value = 0;
  const digitsStart = pos;
  if (c === 48 && (src.charCodeAt(pos + 1) | 0x20) === 120 && pos + 1 < end) {
    pos += 2;
    const hexStart = pos;
    for (; pos < end; pos++) {
      const h = src.charCodeAt(pos);
      const v = isDigit(h) ? h - 48 : (h | 0x20) >= 97 && (h | 0x20) <= 102 ? (h | 0x20) - 87 : -1;
      if (v < 0) break;
      value = value * 16 + v;
    }
    if (pos === hexStart) return Number.NaN;
    numExact = pos - hexStart <= 12;
  } else {
    for (; pos < end && isDigit(src.charCodeAt(pos)); pos++) value = value * 10 + src.charCodeAt(pos) - 48;
    numExact = pos - digitsStart <= 15;
  }
  if (pos < end && isWordChar(src.charCodeAt(pos))) return Number.NaN;
  return negative ? -value : value;
}

/** The end of the statement: only spaces left. */
function atEnd(): boolean {
  skipSpaces();
  return pos === end;
}

/** A register or a number: `{ reg }` sets `operandReg`, a number sets `operandImm`. */
let operandReg = -1;
let operandImm = 0;
function operand(): boolean {
  numExact = true;
  operandReg = register();
  if (operandReg >= 0) return true;
  operandImm = literal();
  return !Number.isNaN(operandImm);
}

/** `op=` of compound assignment: sets `aluOp` and `aluSigned`; false when absent. */
let aluOp = 0;
let aluSigned = 0;
function aluOperator(): boolean {
  const start = pos;
  if (peek() === 115) pos++; // s>>=, s/=, s%=
  while (pos < end && pos - start < 3 && OPERATOR_CHARS.includes(src[pos]!)) pos++;
  const op = ALU_OPS[src.slice(start, pos)];
  if (op === undefined || peek() !== 61) return false;
  [aluOp, aluSigned] = op;
  pos++;
  return true;
}

const OPERATOR_CHARS = '+-*/%|&^<>';

/** Consumes the character `c` and the spaces after it; false when `c` is not next. */
function punctuation(c: number): boolean {
  if (peek() !== c) return false;
  pos++;
  skipSpaces();
  return true;
}

/** `*(u32 *)(rN + off)`: sets `memSize`, `memSigned`, `memBase`, `memOff`; false when absent. */
let memSize = 0;
let memSigned = false;
let memBase = 0;
let memOff = 0;
function memory(): boolean {
  if (!punctuation(42) || !punctuation(40)) return false;
  const nameStart = pos;
  while (pos < end && isWordChar(src.charCodeAt(pos))) pos++;
  const name = src.slice(nameStart, pos);
  const size = SIZES[name];
  const sx = SX_SIZES[name];
  if (size === undefined && sx === undefined) return false;
  memSigned = sx !== undefined;
  memSize = (sx ?? size)!;
  skipSpaces();
  if (!punctuation(42) || !punctuation(41) || !punctuation(40)) return false;
  if (peek() !== 114) return false;
  memBase = register();
  if (memBase < 0) return false;
  skipSpaces();
  memOff = 0;
  if (peek() !== 41) {
    const c = peek();
    if (c !== 43 && c !== 45) return false;
    memOff = number();
    if (Number.isNaN(memOff)) return false;
    skipSpaces();
    if (peek() !== 41) return false;
  }
  pos++;
  return true;
}

function comparison(): number {
  const start = pos;
  if (peek() === 115) pos++;
  while (pos < end && pos - start < 3) {
    const c = src.charCodeAt(pos);
    if (c !== 61 && c !== 33 && c !== 60 && c !== 62 && c !== 38) break;
    pos++;
  }
  return JUMP_OPS[src.slice(start, pos)] ?? -1;
}

/** A jump target: `+N`/`-N`/`N` sets `targetOff`, a label sets `targetLabel`; false when absent. */
let targetOff = 0;
let targetLabel: string | undefined;
function jumpTarget(): boolean {
  targetLabel = undefined;
  const c = peek();
  if (c === 43 || c === 45) {
    targetOff = number();
    return !Number.isNaN(targetOff);
  }
  // A label: [A-Za-z_.$][\w.$]*, not starting with `pc` (the pattern table reads `pcX` as `pc` + X).
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 36)) return false;
  if (src.startsWith('pc', pos)) return false;
  const start = pos;
  while (pos < end) {
    const k = src.charCodeAt(pos);
    if (!(isWordChar(k) && k <= 127)) break;
    pos++;
  }
  targetLabel = src.slice(start, pos);
  return true;
}

function jump(code: number, dst: number, source: number, imm: number): Instruction {
  return targetLabel !== undefined
    ? makeInstruction({ code, dst, src: source, imm, target: targetLabel })
    : basicInstruction(code, dst, source, targetOff, imm);
}

function assignment(dst: number, wide: boolean): Instruction | undefined {
  const c = peek();
  if (c === 42) {
    // rD = *(size *)(rS + off): the prefix of rD does not matter to a load.
    if (!memory() || !atEnd()) return undefined;
    const code = Class.LDX | (memSigned ? Mode.MEMSX : Mode.MEM) | memSize;
    return basicInstruction(code, dst, memBase, memOff, 0);
  }
  if (c === 98 || c === 108) return byteSwap(dst, wide);
  if (!operand()) return undefined;
  const cls = wide ? Class.ALU64 : Class.ALU;
  if (operandReg >= 0) {
    if (regWide !== wide || !atEnd()) return undefined;
    return basicInstruction(cls | AluOp.MOV | Source.X, dst, operandReg, 0, 0);
  }
  const imm = operandImm;
  const exact = numExact;
  const numEnd = pos;
  if (atEnd()) return exact ? basicInstruction(cls | AluOp.MOV, dst, 0, 0, imm) : undefined;
  // `rD = 0x… ll`: exactly the constant, one or more spaces, `ll`.
  if (!wide || pos === numEnd || !keyword('ll') || !atEnd()) return undefined;
  const text = src.slice(numStart, numEnd).replace(/\s+/g, '');
  try {
    const negative = text.startsWith('-');
    const value = BigInt(text.replace(/^[-+]/, ''));
    return ldImm64(REGISTERS[dst]!, negative ? -value : value);
  } catch {
    return undefined; // out of range: the general path reports it
  }
}

/** Opcode bits and width of `le16` … `bswap64`. */
const BYTE_SWAPS: Record<string, readonly [number, number]> = {};
for (const width of [16, 32, 64]) {
  BYTE_SWAPS[`le${width}`] = [Class.ALU | Source.K, width];
  BYTE_SWAPS[`be${width}`] = [Class.ALU | Source.X, width];
  BYTE_SWAPS[`bswap${width}`] = [Class.ALU64, width];
}

/** `rD = be16 rD` and the like: only an r-register, swapped in place. */
function byteSwap(dst: number, wide: boolean): Instruction | undefined {
  const start = pos;
  while (pos < end && isWordChar(src.charCodeAt(pos))) pos++;
  const swap = BYTE_SWAPS[src.slice(start, pos)];
  if (swap === undefined || !wide || !requireSpace() || peek() !== 114) return undefined;
  if (register() !== dst || !atEnd()) return undefined;
  return basicInstruction(swap[0] | AluOp.END, dst, 0, 0, swap[1]);
}

/** `lock *(u64 *)(rD + off) += rS`: an atomic add, or, and or xor without fetch. */
function atomicUpdate(): Instruction | undefined {
  skipSpaces();
  if (!memory() || memSigned) return undefined;
  skipSpaces();
  const imm = ATOMIC_SYMS[src[pos] ?? ''];
  if (imm === undefined || src.charCodeAt(pos + 1) !== 61 || pos + 1 >= end) return undefined;
  pos += 2;
  skipSpaces();
  // The source register may be written rN or wN; the pattern table reads only its number.
  const source = register();
  if (source < 0 || !atEnd()) return undefined;
  return basicInstruction(Class.STX | Mode.ATOMIC | memSize, memBase, source, memOff, imm);
}

function statement(): Instruction | undefined {
  skipSpaces();
  const c = peek();
  if (c === 114 || c === 119) {
    const dst = register();
    if (dst < 0) return undefined;
    const wide = regWide;
    skipSpaces();
    if (peek() === 61) {
      pos++;
      skipSpaces();
      return assignment(dst, wide);
    }
    if (!aluOperator()) return undefined;
    skipSpaces();
    if (!operand() || !numExact || !atEnd()) return undefined;
    const code = (wide ? Class.ALU64 : Class.ALU) | aluOp;
    if (operandReg >= 0) {
      if (regWide !== wide) return undefined;
      return basicInstruction(code | Source.X, dst, operandReg, aluSigned, 0);
    }
    return basicInstruction(code, dst, 0, aluSigned, operandImm);
  }
  if (c === 42) {
    if (!memory() || memSigned) return undefined;
    skipSpaces();
    if (peek() !== 61) return undefined;
    pos++;
    skipSpaces();
    // The stored register may be written rN or wN; the pattern table reads only its number.
    if (!operand() || !numExact || !atEnd()) return undefined;
    if (operandReg >= 0) {
      return basicInstruction(Class.STX | Mode.MEM | memSize, memBase, operandReg, memOff, 0);
    }
    return basicInstruction(Class.ST | Mode.MEM | memSize, memBase, 0, memOff, operandImm);
  }
  if (keyword('if')) {
    if (!requireSpace()) return undefined;
    const dst = register();
    if (dst < 0) return undefined;
    const wide = regWide;
    skipSpaces();
    const op = comparison();
    if (op < 0) return undefined;
    skipSpaces();
    if (!operand() || !numExact) return undefined;
    if (operandReg >= 0 && regWide !== wide) return undefined;
    if (!requireSpace() || !keyword('goto') || !requireSpace() || !jumpTarget() || !atEnd()) return undefined;
    const code = (wide ? Class.JMP : Class.JMP32) | op;
    return operandReg >= 0 ? jump(code | Source.X, dst, operandReg, 0) : jump(code, dst, 0, operandImm);
  }
  if (keyword('goto')) {
    if (!requireSpace() || !jumpTarget() || !atEnd()) return undefined;
    return jump(Class.JMP | JmpOp.JA, 0, 0, 0);
  }
  if (keyword('call')) {
    if (!requireSpace()) return undefined;
    const imm = number();
    if (Number.isNaN(imm) || !atEnd()) return undefined;
    return basicInstruction(Class.JMP | JmpOp.CALL, 0, 0, 0, imm);
  }
  if (keyword('exit')) return atEnd() ? basicInstruction(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0) : undefined;
  if (src.startsWith('lock', pos) && !isWordChar(src.charCodeAt(pos + 4))) {
    pos += 4;
    return atomicUpdate();
  }
  return undefined;
}

/**
 * Reads `text[start, stop)` as one statement of the common forms, or returns `undefined` when
 * the general parser must read it (anything else, including every error).
 */
export function parseCommonStatement(text: string, start: number, stop: number): Instruction | undefined {
  src = text;
  pos = start;
  end = stop;
  try {
    return statement();
  } finally {
    src = '';
  }
}
