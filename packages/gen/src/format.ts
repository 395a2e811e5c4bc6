/** The line width generated modules are laid out for (the repository's formatter setting). */
export const LINE_WIDTH = 110;

/**
 * `head` items `tail` (a call, an array or an object literal) on one line at `indent` when it
 * fits, else one item a line with trailing commas, as the formatter lays it out.
 */
export function list(indent: string, head: string, items: readonly string[], tail: string): string {
  const one = `${indent}${head}${items.join(', ')}${tail}`;
  if (one.length <= LINE_WIDTH || items.length === 0) return one;
  const lines = items.map((i) => `${indent}  ${i},`).join('\n');
  return `${indent}${head.trimEnd()}\n${lines}\n${indent}${tail.trimStart()}`;
}

/**
 * `if (condition) statement` (or `else if …`) on one line when it fits, else with the statement
 * on the next line.
 */
export function ifStatement(
  indent: string,
  keyword: 'if' | 'else if',
  condition: string,
  statement: (indent: string) => string,
): string {
  const one = `${indent}${keyword} (${condition}) ${statement('')}`;
  if (one.length <= LINE_WIDTH && !one.includes('\n')) return one;
  return `${indent}${keyword} (${condition})\n${statement(`${indent}  `)}`;
}

/** `n` bytes in words for a generated comment: `1 byte`, `4 bytes`. */
export function byteCount(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}
