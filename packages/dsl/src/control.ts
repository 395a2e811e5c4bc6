import type { Operand } from './builders/alu.js';
import { add, mov } from './builders/alu.js';
import { ja } from './builders/jump.js';
import { type Instruction, makeInstruction } from './instruction.js';
import { type Fragment, mark } from './labels.js';
import { Class, Source } from './opcodes.js';
import { JUMP_OPS } from './parse-patterns.js';
import { isRegister, type Register } from './registers.js';

/** Comparison operators of {@link Condition}: unsigned, signed (`s`) and bit test (`&`). */
export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=' | 's>' | 's>=' | 's<' | 's<=' | '&';

/** A branch condition: `dst op src`, compared in 64 bits or (with `wide: 32`) 32 bits. */
export interface Condition {
  /** Left operand. */
  readonly dst: Register;
  /** Comparison. */
  readonly op: CompareOp;
  /** Right operand: register or immediate. */
  readonly src: Operand;
  /** Width of the comparison (default 64). */
  readonly wide?: 32 | 64;
}

const INVERSE: Partial<Record<CompareOp, CompareOp>> = {
  '==': '!=',
  '!=': '==',
  '>': '<=',
  '<=': '>',
  '>=': '<',
  '<': '>=',
  's>': 's<=',
  's<=': 's>',
  's>=': 's<',
  's<': 's>=',
};

let counter = 0;

function fresh(kind: string): string {
  counter += 1;
  return `.L${kind}${counter}`;
}

/** A 64-bit condition `dst op src`. */
export function cond(dst: Register, op: CompareOp, src: Operand): Condition {
  return { dst, op, src };
}

/** A 32-bit condition `wdst op wsrc`. */
export function cond32(dst: Register, op: CompareOp, src: Operand): Condition {
  return { dst, op, src, wide: 32 };
}

/** The conditional jump to `target` taken when `c` holds. */
export function jumpIf(c: Condition, target: string): Instruction {
  const cls = c.wide === 32 ? Class.JMP32 : Class.JMP;
  const code = cls | JUMP_OPS[c.op]!;
  if (isRegister(c.src))
    return makeInstruction({ code: code | Source.X, dst: c.dst.num, src: c.src.num, target });
  return makeInstruction({ code, dst: c.dst.num, imm: c.src, target });
}

/** Jumps to `target` when `c` does not hold (two instructions for `&`, which has no inverse). */
function jumpUnless(c: Condition, target: string): Fragment {
  const inverse = INVERSE[c.op];
  if (inverse !== undefined) return [jumpIf({ ...c, op: inverse }, target)];
  const body = fresh('then');
  return [jumpIf(c, body), ja(target), mark(body)];
}

/**
 * `if (c) { then } else { otherwise }` with generated labels. Use the result inside
 * {@link program}, which attaches the labels.
 */
export function ifElse(c: Condition, then: Fragment, otherwise: Fragment = []): Fragment {
  const end = fresh('endif');
  if (otherwise.length === 0) return [jumpUnless(c, end), then, mark(end)];
  const elseLabel = fresh('else');
  return [jumpUnless(c, elseLabel), then, ja(end), mark(elseLabel), otherwise, mark(end)];
}

/** `while (c) { body }`: a loop the verifier must be able to bound. */
export function whileLoop(c: Condition, body: Fragment): Fragment {
  const top = fresh('while');
  const end = fresh('endwhile');
  return [mark(top), jumpUnless(c, end), body, ja(top), mark(end)];
}

/** `for (counter = 0; counter < count; counter++) { body }`: a bounded loop. */
export function forLoop(counter: Register, count: Operand, body: Fragment): Fragment {
  const top = fresh('for');
  const end = fresh('endfor');
  return [
    mov(counter, 0),
    mark(top),
    jumpIf(cond(counter, '>=', count), end),
    body,
    add(counter, 1),
    ja(top),
    mark(end),
  ];
}
