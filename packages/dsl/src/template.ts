import { TemplateError } from './errors.js';
import type { Instruction } from './instruction.js';
import { parse } from './parse.js';
import { isRegister } from './registers.js';

/** A short description of an unusable value for an error message. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
  const keys = Object.keys(value).slice(0, 6);
  return `${typeof ctor === 'string' && ctor !== 'Object' ? `a ${ctor}` : 'an object'} with keys {${keys.join(', ')}}`;
}

function interpolate(value: unknown, before: string, position: number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TemplateError(`number ${value} is not an integer`, position);
    return String(value);
  }
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value;
  if (isRegister(value)) return value.name;
  if (typeof value === 'object' && value !== null && 'fd' in value) {
    const fd = (value as { fd: unknown }).fd;
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw new TemplateError(`a map's fd must be a non-negative integer, not ${describe(fd)}`, position);
    }
    return before.trimEnd().endsWith('[') ? `fd:${fd}` : `map[fd:${fd}]`;
  }
  throw new TemplateError(
    `cannot splice ${describe(value)} into BPF assembler text (give a number, bigint, string, register, or a map with an fd)`,
    position,
  );
}

/**
 * Tagged template that parses assembler text: `` bpf`r0 = 2; exit` ``. Interpolations may be
 * numbers, bigints, strings (spliced as text), registers, or map objects with an `fd`
 * (`r1 = ${map}` loads the map; `map[${map}]` works too).
 * @throws TemplateError for any other interpolated value, naming its position
 * @throws ParseError when the resulting text does not parse
 */
export function bpf(strings: TemplateStringsArray, ...values: unknown[]): Instruction[] {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += interpolate(values[i], text, i + 1) + strings[i + 1]!;
  return parse(text);
}
