/** The name an import specifier binds (`type Codec` → `Codec`). */
function bound(specifier: string): string {
  return specifier.startsWith('type ') ? specifier.slice(5) : specifier;
}

/** A name in runs of digits (compared as numbers) and of other characters. */
function runs(name: string): string[] {
  return name.match(/\d+|\D+/g) ?? [];
}

/** Two runs of letters and other characters, character by character. */
function compareText(p: string, q: string): number {
  for (let i = 0; i < Math.min(p.length, q.length); i++) {
    const a = p[i]!;
    const b = q[i]!;
    if (a === b) continue;
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    if (la !== lb) return la < lb ? -1 : 1;
    return a < b ? -1 : 1; // the same letter: upper case first
  }
  return p.length - q.length;
}

/**
 * Orders two import specifiers as the formatter's import sorting does (its natural order):
 * character by character, letters without regard to case but an upper-case letter before the
 * same letter in lower case (`BpfMap` before `bool`, `CodecError` before `cstring`), digit runs by
 * their value (`u8` before `u16`). `type` prefixes are not part of the order.
 */
export function compareSpecifiers(a: string, b: string): number {
  const x = runs(bound(a));
  const y = runs(bound(b));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (/^\d/.test(p) && /^\d/.test(q)) {
      if (Number(p) !== Number(q)) return Number(p) - Number(q);
      continue;
    }
    const order = compareText(p, q);
    if (order !== 0) return order;
  }
  return x.length - y.length;
}

/** Specifiers in the formatter's import order, so that generated modules pass its check unchanged. */
export function sortSpecifiers(specifiers: readonly string[]): string[] {
  return [...specifiers].sort(compareSpecifiers);
}
