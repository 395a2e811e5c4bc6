import { BtfError } from './errors.js';
import type { Enum64Type, EnumType } from './kinds.js';

/** GCC/clang machine modes of signed integers, by size in bytes. */
const MODES: Record<number, string> = { 1: 'QI', 2: 'HI', 4: 'SI', 8: 'DI' };

/** The smallest size (1, 2, 4, 8) of a signed or unsigned integer that holds every value. */
function smallestSize(values: readonly bigint[], signed: boolean): number {
  for (const size of [1, 2, 4, 8]) {
    const bits = BigInt(size * 8);
    const min = signed ? -(1n << (bits - 1n)) : 0n;
    const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (values.every((v) => v >= min && v <= max)) return size;
  }
  return 16;
}

/**
 * The attribute that gives an enum its BTF size in C, with a leading space, or '' when C sizes
 * it so by itself. C makes an enum an `int` or `unsigned int` when its values fit, else 8 bytes;
 * `__attribute__((packed))` makes it the smallest integer that holds them (signed if one is
 * negative); `__attribute__((mode(..)))` makes it a signed integer of the mode's size.
 * @throws BtfError when no attribute gives the size (values that do not fit it)
 */
export function enumSizeAttribute(t: EnumType | Enum64Type): string {
  const values = t.values.map((v) => BigInt(v.value));
  const negative = values.some((v) => v < 0n);
  const natural = smallestSize(values, true) <= 4 || smallestSize(values, false) <= 4 ? 4 : 8;
  if (t.size === natural) return '';
  if (t.size === smallestSize(values, negative)) return ' __attribute__((packed))';
  const mode = MODES[t.size];
  if (mode && smallestSize(values, true) <= t.size) return ` __attribute__((mode(${mode})))`;
  throw new BtfError(
    `${t.kind} ${t.name || '(anonymous)'} (type ${t.id}) has ${t.size} bytes, which its values do not fit: C cannot declare it`,
  );
}
