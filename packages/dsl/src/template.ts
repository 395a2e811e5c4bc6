import type { Instruction } from './instruction.js';
import { parse } from './parse.js';
import { isRegister } from './registers.js';

function interpolate(value: unknown, before: string): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value;
  if (isRegister(value)) return value.name;
  if (typeof value === 'object' && value !== null && typeof (value as { fd?: unknown }).fd === 'number') {
    const fd = (value as { fd: number }).fd;
    return before.trimEnd().endsWith('[') ? `fd:${fd}` : `map[fd:${fd}]`;
  }
  throw new TypeError(`cannot interpolate ${String(value)} into BPF assembler text`);
}

/**
 * Tagged template that parses assembler text: `` bpf`r0 = 2; exit` ``. Interpolations may be
 * numbers, bigints, strings (spliced as text), registers, or map objects with an `fd`
 * (`r1 = ${map}` loads the map; `map[${map}]` works too).
 */
export function bpf(strings: TemplateStringsArray, ...values: unknown[]): Instruction[] {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += interpolate(values[i], text) + strings[i + 1]!;
  return parse(text);
}
