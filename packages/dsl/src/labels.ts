import { AssemblyError } from './errors.js';
import { type Instruction, makeInstruction } from './instruction.js';

/** A label position inside a program fragment: it names the instruction that follows it. */
export interface LabelMarker {
  /** Discriminator. */
  readonly kind: 'label';
  /** The label name. */
  readonly name: string;
}

/** A piece of a program: instructions, label markers and nested fragments. */
export type Fragment = readonly (Instruction | LabelMarker | Fragment)[];

/** A label marker naming the next instruction (for use in {@link program} fragments). */
export function mark(name: string): LabelMarker {
  return Object.freeze({ kind: 'label', name });
}

/** Whether a program part is a label marker (made by {@link mark} or a `name:` line of text). */
export function isMarker(x: Instruction | LabelMarker | Fragment): x is LabelMarker {
  return !Array.isArray(x) && (x as LabelMarker).kind === 'label';
}

/** A short description of something that is not a program part, for error messages. */
function what(x: unknown): string {
  return typeof x === 'string' ? `the string ${JSON.stringify(x.slice(0, 40))}` : String(x);
}

function flatten(parts: Fragment, out: (Instruction | LabelMarker)[], where: string): void {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (Array.isArray(p)) flatten(p as Fragment, out, `${where}${i}.`);
    else if (
      typeof p === 'object' &&
      p !== null &&
      (isMarker(p) || typeof (p as Instruction).code === 'number')
    )
      out.push(p as Instruction | LabelMarker);
    else
      throw new AssemblyError(
        `program part #${where}${i} is ${what(p)}, not an instruction, label marker or fragment (text goes through parse or bpf\`\`)`,
      );
  }
}

/**
 * Flattens fragments into a program: each label marker becomes the `label` of the next
 * instruction. When several labels land on one instruction, references to the extra ones
 * are rewritten to the one it keeps. A label with no instruction after it is an error.
 */
export function attachLabels(parts: Fragment): Instruction[] {
  const flat: (Instruction | LabelMarker)[] = [];
  flatten(parts, flat, '');
  const out: Instruction[] = [];
  const alias = new Map<string, string>();
  let pending: string[] = [];
  for (const item of flat) {
    if (isMarker(item)) {
      pending.push(item.name);
      continue;
    }
    let insn = item;
    if (pending.length > 0) {
      const keep = insn.label ?? pending[0]!;
      for (const name of pending) if (name !== keep) alias.set(name, keep);
      if (insn.label === undefined) insn = makeInstruction({ ...insn, label: keep });
      pending = [];
    }
    out.push(insn);
  }
  if (pending.length > 0) {
    throw new AssemblyError(`label '${pending[0]}' is not followed by an instruction`);
  }
  if (alias.size === 0) return out;
  return out.map((insn) => {
    const to = insn.target !== undefined ? alias.get(insn.target) : undefined;
    return to === undefined ? insn : makeInstruction({ ...insn, target: to });
  });
}

/** Flattens instructions, label markers and nested fragments into one program. */
export function program(...parts: Fragment): Instruction[] {
  return attachLabels(parts);
}
