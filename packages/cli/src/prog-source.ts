import type { Program } from '@ts-ebpf/programs';
import { functionPrototype } from './func-prototype.js';
import type { XlatedAnnotations } from './xlated.js';

/** A source line with its leading white space (C's isspace) taken off, as bpftool prints it. */
const LEADING_SPACE = /^[ \t\n\v\f\r]+/;

/**
 * The function prototypes and source lines of `program`'s translated instructions, from its BTF's
 * func_info and line_info (`Program.funcInfo`, `Program.lineInfo`); undefined for a program
 * loaded without BTF. A function whose prototype bpftool would not print has none here; a line
 * whose text is empty (or only white space) is there with empty text, as bpftool prints it (`; `).
 */
export function xlatedAnnotations(program: Program): XlatedAnnotations | undefined {
  const btf = program.btf();
  if (btf === undefined) return undefined;
  const prototypes = new Map<number, string>();
  for (const f of program.funcInfo()) {
    const proto = functionPrototype(btf, f.typeId);
    if (proto !== undefined) prototypes.set(f.instruction, proto);
  }
  const lines = program.lineInfo().map((l) => ({
    pc: l.instruction,
    text: (l.sourceLine ?? '').replace(LEADING_SPACE, ''),
  }));
  return { prototypes, lines };
}
