/**
 * How parser input is cut up (block comments blanked out, lines split into statements) and
 * where what is read from it goes.
 * @module
 */
import { ParseError } from './errors.js';
import type { Instruction } from './instruction.js';
import { attachLabels, isMarker, type LabelMarker } from './labels.js';

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

/**
 * The instructions and label markers parsed from `text`, with the labels attached; a label
 * nothing follows, or a jump to one the text lacks, is a {@link ParseError} on the text's last line
 * (a text is assembled on its own, so its last label cannot name what a program puts after it).
 */
export function attachTextLabels(read: readonly (Instruction | LabelMarker)[], text: string): Instruction[] {
  const last = read.at(-1);
  const trailing =
    last !== undefined && isMarker(last)
      ? `; a text cannot end at a label: end it before the label and put mark('${last.name}') after the text, on the instruction it names`
      : '';
  try {
    return attachLabels(read);
  } catch (e) {
    throw new ParseError(
      `${(e as Error).message}${trailing}`,
      text.split('\n').length,
      text.trimEnd().split('\n').at(-1) ?? '',
    );
  }
}
