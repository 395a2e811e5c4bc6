/**
 * The pieces instructions are printed from (registers, memory operands, casts), written into a
 * {@link TextSink} that has room for the line reserved.
 * @module
 */
import type { Instruction } from './instruction.js';
import { SIZE_NAMES } from './opcodes.js';
import { asciiBytes, type TextSink } from './text-sink.js';

export const R = 114; // 'r'
export const W = 119; // 'w'

/** ` - ` and ` + `, between a base and an offset. */
export const MINUS = asciiBytes(' - ');
export const PLUS = asciiBytes(' + ');

/** `*(u32 *)`, by the size bits of an opcode (`(code & 0x18) >> 3`). */
const DEREF = SIZE_NAMES.map((name) => asciiBytes(`*(${name} *)`));
/** `*(s32 *)`: the sign-extending load of each size. */
const DEREF_SIGNED = SIZE_NAMES.map((name) => asciiBytes(`*(s${name.slice(1)} *)`));
/** `(u32 *)`, as inside `load_acquire(...)`. */
const POINTER = SIZE_NAMES.map((name) => asciiBytes(`(${name} *)`));

/** `+n` or `-n`. */
export function signed(w: TextSink, n: number): void {
  if (n >= 0) w.char(43);
  w.int(n);
}

/** A register: `r3` or `w3`. */
export function reg(w: TextSink, prefix: number, n: number): void {
  w.char(prefix);
  if (n >>> 0 < 10) w.char(48 + n);
  else w.int(n);
}

/** `r<base> + off` / `r<base> - off`, as inside a memory operand. */
export function address(w: TextSink, base: number, off: number): void {
  reg(w, R, base);
  w.lit(off < 0 ? MINUS : PLUS);
  w.int(Math.abs(off));
}

/** `(r<base> + off)`. */
export function mem(w: TextSink, base: number, off: number): void {
  w.char(40);
  address(w, base, off);
  w.char(41);
}

/** `(u32 *)` cast with the size of `code` (or its signed twin), `*(u32 *)` as a dereference. */
export function cast(w: TextSink, code: number, deref: boolean, signedLoad = false): void {
  const size = (code & 0x18) >> 3;
  w.lit(deref ? (signedLoad ? DEREF_SIGNED : DEREF)[size]! : POINTER[size]!);
}

/** An instruction no text form can stand for, its fields as they are (`imm2` too when asked). */
export function raw(w: TextSink, i: Instruction, withImm2 = false): void {
  const imm2 = withImm2 ? ` imm2=${i.imm2}` : '';
  w.text(
    `<invalid code=0x${i.code.toString(16)} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}${imm2}>`,
  );
}

/** True for a 32-bit field value, signed or unsigned: what an instruction half can hold. */
export function isWord(x: number): boolean {
  return (x | 0) === x || x >>> 0 === x;
}
