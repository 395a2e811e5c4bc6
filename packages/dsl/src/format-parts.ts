/**
 * The pieces instructions are printed from (registers, memory operands, casts), written into a
 * {@link TextSink}.
 * @module
 */
import type { Instruction } from './instruction.js';
import { SIZE_NAMES } from './opcodes.js';
import type { TextSink } from './text-sink.js';

export const R = 114; // 'r'
export const W = 119; // 'w'

/** `+n` or `-n`. */
export function signed(w: TextSink, n: number): void {
  if (n >= 0) w.char(43);
  w.int(n);
}

/** A register: `r3` or `w3`. */
export function reg(w: TextSink, prefix: number, n: number): void {
  w.char(prefix);
  w.int(n);
}

/** `r<base> + off` / `r<base> - off`, as inside a memory operand. */
export function address(w: TextSink, base: number, off: number): void {
  reg(w, R, base);
  w.text(off < 0 ? ' - ' : ' + ');
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
  const name = SIZE_NAMES[(code & 0x18) >> 3]!;
  w.text(deref ? '*(' : '(');
  if (signedLoad) {
    w.char(115); // 's'
    w.text(name.slice(1));
  } else w.text(name);
  w.text(' *)');
}

export function raw(w: TextSink, i: Instruction): void {
  w.text(`<invalid code=0x${i.code.toString(16)} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}>`);
}
