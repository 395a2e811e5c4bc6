/**
 * A value as ts-ebpf's error messages show it: a string quoted (so that `"2"` is not read as the
 * number 2), a bigint with its `n` (`5n`), anything else as `String` writes it (`-1`, `NaN`,
 * `undefined`, `null`, `[object Object]`).
 *
 * @internal For the packages' own error messages (one way to write a value across them); not
 * part of the supported API.
 */
export function describeValue(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
}
