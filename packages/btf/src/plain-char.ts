/**
 * True for C's plain `char`: a one-byte int of BTF's CHAR encoding, or the one clang names `char`
 * (clang encodes `char` as a SIGNED int, without the CHAR flag; `signed char` and
 * `unsigned char` are byte types, not text). What decoders read as text in a `char` array.
 */
export function isPlainChar(t: {
  readonly kind: string;
  readonly name: string;
  readonly size?: number;
  readonly char?: boolean;
}): boolean {
  return t.kind === 'int' && t.size === 1 && (t.char === true || t.name === 'char');
}
