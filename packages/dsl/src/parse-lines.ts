/**
 * How parser input is cut up: block comments blanked out, lines split into statements.
 * @module
 */

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
