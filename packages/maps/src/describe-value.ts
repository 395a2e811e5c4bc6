/**
 * @internal A value as an error message shows it: a string quoted (so that `"2"` is not read as
 * the number 2), a bigint with its `n`, anything else as `String` writes it.
 */
export function describeValue(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
}
