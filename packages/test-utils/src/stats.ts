/**
 * The median of `values`: the middle one, or the mean of the two middle ones for an even count
 * (the benches' one definition of it).
 * @throws RangeError for no values
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
