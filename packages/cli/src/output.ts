import type { CliIo } from './io.js';
import { type JsonValue, toJson } from './json.js';

const ESC = '\u001b[';

/** ANSI styles, or identity functions when colour is off. */
export interface Style {
  /** Column headers and section titles. */
  bold(s: string): string;
  /** Dimmed text: notes, absent values. */
  dim(s: string): string;
  /** Ids and names worth finding at a glance. */
  accent(s: string): string;
  /** A feature or state that is on / supported. */
  good(s: string): string;
  /** A feature or state that is off / unsupported. */
  bad(s: string): string;
}

function ansi(code: string): (s: string) => string {
  return (s) => `${ESC}${code}m${s}${ESC}0m`;
}

const PLAIN: Style = { bold: String, dim: String, accent: String, good: String, bad: String };
const COLOURED: Style = {
  bold: ansi('1'),
  dim: ansi('2'),
  accent: ansi('36'),
  good: ansi('32'),
  bad: ansi('31'),
};

/** The width of `s` on a terminal: its length without ANSI escapes. */
function visibleLength(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ESC of ANSI sequences
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** What a subcommand writes through: JSON, aligned tables and text, styled when colour is on. */
export class Output {
  /** Styles; identity functions unless the io asked for colour. */
  readonly style: Style;

  /** @param io - where to write */
  constructor(private readonly io: CliIo) {
    this.style = io.color === true ? COLOURED : PLAIN;
  }

  /** One JSON document on one line (bigints exact), then a newline. */
  json(value: JsonValue): void {
    this.io.stdout(`${toJson(value)}\n`);
  }

  /** Text exactly as given (large outputs written in pieces). */
  raw(s: string): void {
    this.io.stdout(s);
  }

  /** Text as is, a newline added when missing. */
  text(s: string): void {
    this.io.stdout(s.endsWith('\n') ? s : `${s}\n`);
  }

  /** A note on standard error (what was not shown, and why). */
  note(s: string): void {
    this.io.stderr(`note: ${s}\n`);
  }

  /**
   * An aligned table: a bold header row, then one row per entry, columns separated by two
   * spaces. Cells may carry styles; widths count visible characters only.
   */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
    const line = (cells: readonly string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
        .join('  ')
        .trimEnd();
    const out = [this.style.bold(line(headers)), ...rows.map(line)];
    this.io.stdout(`${out.join('\n')}\n`);
  }
}
