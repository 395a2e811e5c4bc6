/**
 * Small pieces the text parser matches: numbers, registers, memory operands.
 * Statements reach these with whitespace collapsed and removed around punctuation.
 * @module
 */

/** A number literal: decimal or hex, optional sign. */
export const NUM = '[-+]?(?:0[xX][0-9a-fA-F]+|\\d+)';
/** A register `rN` or `wN`, capturing the prefix and number. */
export const REG = '([rw])(\\d+)';
/** A memory operand `(rN+off)`, capturing base and optional signed offset. */
export const MEM = `\\(r(\\d+)(${NUM})?\\)`;
/** A size cast `(u8*)` … `(s32*)`. */
export const SIZE = '(u8|u16|u32|u64|s8|s16|s32)';
/** A label name. */
export const IDENT = '[A-Za-z_.$][\\w.$]*';

/** Parses a number literal (decimal or hex, optional sign). */
export function parseNum(text: string): number {
  const neg = text.startsWith('-');
  const body = text.replace(/^[-+]/, '');
  const n = /^0x/i.test(body) ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body, 10);
  return neg ? -n : n;
}

/** Parses a number literal as a bigint. */
export function parseBig(text: string): bigint {
  const neg = text.startsWith('-');
  const n = BigInt(text.replace(/^[-+]/, ''));
  return neg ? -n : n;
}

/** A character of a word: letters, digits, `_`, `$`, `.` and anything beyond ASCII. */
export function isWordChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 ||
    c === 36 ||
    c === 46 ||
    c > 127
  );
}

/**
 * Collapses whitespace and drops it next to punctuation, so `*(u32 *)(r1 + 4)` becomes
 * `*(u32*)(r1+4)` while `goto L1` keeps its space. (A loop: the regex version was a third
 * of parse time.)
 */
export function normalize(statement: string): string {
  let out = '';
  let space = false;
  let prevWord = false;
  for (let i = 0; i < statement.length; i++) {
    const c = statement.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12) {
      space = out.length > 0;
      continue;
    }
    const word = isWordChar(c);
    if (space && word && prevWord) out += ' ';
    out += statement[i];
    space = false;
    prevWord = word;
  }
  return out;
}
