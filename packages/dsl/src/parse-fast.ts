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
import { basicInstruction, type Instruction, makeInstruction, wideInstruction } from './instruction.js';
import type { InstructionCache } from './instruction-cache.js';
import { AluOp, Class, JmpOp, LD_IMM64, Mode, Source } from './opcodes.js';
import {
  aluOperatorAt,
  atomicOperator,
  comparisonAt,
  sizeOfWidth,
  widthAt,
  widthLength,
} from './parse-fast-operators.js';
import { isWordChar, parseBig } from './parse-operands.js';
import { REGISTERS } from './registers.js';

// The statement being read: src[pos, end).
let src = '';
let pos = 0;
let end = 0;
/** Where equal instructions of the current `parse` call are shared, if anywhere. */
let cache: InstructionCache | undefined;

/** Space, tab, vertical tab, form feed, carriage return. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || (c >= 11 && c <= 13);
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
/** Whether the last number read is exact as a double (below 2^53: at most 15 decimal or 13 hex digits). */
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
    numExact = pos - hexStart <= 13;
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
  const found = aluOperatorAt(src, pos, end);
  if (found < 0) return false;
  aluOp = found & 0xff;
  aluSigned = (found >> 8) & 1;
  pos += found >> 9;
  return true;
}

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
  // u8, u16, u32, u64, s8, s16, s32
  const sign = peek();
  if (sign !== 117 && sign !== 115) return false;
  const bits = widthAt(src, pos + 1, end);
  memSigned = sign === 115;
  if (bits < 0 || (memSigned && bits === 64)) return false;
  pos += 1 + widthLength(bits);
  memSize = sizeOfWidth(bits);
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

/** The frozen instruction with these five fields (shared with equal ones read before, with a cache). */
function instruction(code: number, dst: number, source: number, off: number, imm: number): Instruction {
  return cache === undefined
    ? basicInstruction(code, dst, source, off, imm)
    : cache.basic(code, dst, source, off, imm);
}

function jump(code: number, dst: number, source: number, imm: number): Instruction {
  return targetLabel !== undefined
    ? makeInstruction({ code, dst, src: source, imm, target: targetLabel })
    : instruction(code, dst, source, targetOff, imm);
}

function assignment(dst: number, wide: boolean): Instruction | undefined {
  const c = peek();
  if (c === 42) {
    // rD = *(size *)(rS + off): the prefix of rD does not matter to a load.
    if (!memory() || !atEnd()) return undefined;
    const code = Class.LDX | (memSigned ? Mode.MEMSX : Mode.MEM) | memSize;
    return instruction(code, dst, memBase, memOff, 0);
  }
  if (c === 98 || c === 108) return byteSwap(dst, wide);
  if (!operand()) return undefined;
  const cls = wide ? Class.ALU64 : Class.ALU;
  if (operandReg >= 0) {
    if (regWide !== wide || !atEnd()) return undefined;
    return instruction(cls | AluOp.MOV | Source.X, dst, operandReg, 0, 0);
  }
  const imm = operandImm;
  const exact = numExact;
  const numEnd = pos;
  if (atEnd()) return exact ? instruction(cls | AluOp.MOV, dst, 0, 0, imm) : undefined;
  // `rD = 0x… ll`: exactly the constant, one or more spaces, `ll`.
  if (!wide || pos === numEnd || !keyword('ll') || !atEnd()) return undefined;
  if (exact) {
    // |imm| < 2^53: the low half is ToInt32 of it, the high half its floor division by 2^32.
    return wideInstruction(LD_IMM64, dst, 0, 0, imm | 0, Math.floor(imm / 0x100000000) | 0);
  }
  try {
    return ldImm64(REGISTERS[dst]!, parseBig(src.slice(numStart, numEnd).replace(/\s+/g, '')));
  } catch {
    return undefined; // out of range: the general path reports it
  }
}

/** Consumes `word` if the statement continues with it (whatever follows). */
function prefix(word: string): boolean {
  if (pos + word.length > end || !src.startsWith(word, pos)) return false;
  pos += word.length;
  return true;
}

/** `rD = be16 rD` and the like (`le`, `be`, `bswap`; 16, 32, 64): only an r-register, swapped in place. */
function byteSwap(dst: number, wide: boolean): Instruction | undefined {
  let code: number;
  if (prefix('le')) code = Class.ALU | Source.K;
  else if (prefix('be')) code = Class.ALU | Source.X;
  else if (prefix('bswap')) code = Class.ALU64;
  else return undefined;
  const bits = widthAt(src, pos, end);
  if (bits < 16) return undefined;
  pos += widthLength(bits);
  if (!wide || !requireSpace() || peek() !== 114) return undefined;
  if (register() !== dst || !atEnd()) return undefined;
  return instruction(code | AluOp.END, dst, 0, 0, bits);
}

/** `lock *(u64 *)(rD + off) += rS`: an atomic add, or, and or xor without fetch. */
function atomicUpdate(): Instruction | undefined {
  skipSpaces();
  if (!memory() || memSigned) return undefined;
  skipSpaces();
  const imm = atomicOperator(peek());
  if (imm < 0 || src.charCodeAt(pos + 1) !== 61 || pos + 1 >= end) return undefined;
  pos += 2;
  skipSpaces();
  // The source register may be written rN or wN; the pattern table reads only its number.
  const source = register();
  if (source < 0 || !atEnd()) return undefined;
  return instruction(Class.STX | Mode.ATOMIC | memSize, memBase, source, memOff, imm);
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
      return instruction(code | Source.X, dst, operandReg, aluSigned, 0);
    }
    return instruction(code, dst, 0, aluSigned, operandImm);
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
      return instruction(Class.STX | Mode.MEM | memSize, memBase, operandReg, memOff, 0);
    }
    return instruction(Class.ST | Mode.MEM | memSize, memBase, 0, memOff, operandImm);
  }
  if (keyword('if')) {
    if (!requireSpace()) return undefined;
    const dst = register();
    if (dst < 0) return undefined;
    const wide = regWide;
    skipSpaces();
    const comparison = comparisonAt(src, pos, end);
    if (comparison < 0) return undefined;
    pos += comparison >> 8;
    skipSpaces();
    if (!operand() || !numExact) return undefined;
    if (operandReg >= 0 && regWide !== wide) return undefined;
    if (!requireSpace() || !keyword('goto') || !requireSpace() || !jumpTarget() || !atEnd()) return undefined;
    const code = (wide ? Class.JMP : Class.JMP32) | (comparison & 0xff);
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
    return instruction(Class.JMP | JmpOp.CALL, 0, 0, 0, imm);
  }
  if (keyword('exit')) return atEnd() ? instruction(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0) : undefined;
  if (src.startsWith('lock', pos) && !isWordChar(src.charCodeAt(pos + 4))) {
    pos += 4;
    return atomicUpdate();
  }
  return undefined;
}

/**
 * Reads `text[start, stop)` as one statement of the common forms, or returns `undefined` when
 * the general parser must read it (anything else, including every error). With `shared`,
 * equal one-slot instructions come back as the same frozen object.
 */
export function parseCommonStatement(
  text: string,
  start: number,
  stop: number,
  shared?: InstructionCache,
): Instruction | undefined {
  src = text;
  pos = start;
  end = stop;
  cache = shared;
  try {
    return statement();
  } finally {
    src = '';
    cache = undefined;
  }
}
