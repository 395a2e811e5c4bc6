/**
 * How parser input is cut up (block comments blanked out, lines split into statements) and
 * where what is read from it goes.
 * @module
 */
import type { Instruction } from './instruction.js';
import type { LabelMarker } from './labels.js';

/** Blanks out block comments, keeping their newlines so line numbers stay right. */
export function withoutBlockComments(text: string): string {
  return text.includes('/*') ? text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')) : text;
}

/** One line's statements: `;` separates them, `//` starts a comment. */
export function lineStatements(line: string): string[] {
  const comment = line.indexOf('//');
  const code = comment >= 0 ? line.slice(0, comment) : line;
  const out: string[] = [];
  for (const part of code.includes(';') ? code.split(';') : [code]) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

/**
 * The instructions and label markers read so far, in an array made for one per line up front
 * (growing it item by item was a fifth of the time of a long program).
 */
export class Items {
  private readonly list: (Instruction | LabelMarker)[];
  private count = 0;
  /** Whether a label marker was added. */
  labels = false;

  constructor(capacity: number) {
    this.list = new Array(capacity);
  }

  add(item: Instruction | LabelMarker): void {
    this.list[this.count++] = item;
  }

  /** The items added, in order. */
  done(): (Instruction | LabelMarker)[] {
    this.list.length = this.count;
    return this.list;
  }
}

/** Number of lines of `text` (one more than its newlines). */
export function lineCount(text: string): number {
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
