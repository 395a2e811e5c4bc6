import { AssemblyError } from './errors.js';

/** A register number as stored in an instruction field. */
export type RegisterNumber = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/**
 * A typed register constant. Builders take these, so `mov(R0, R1)` (register) and
 * `mov(R0, 1)` (immediate) are told apart; instructions store the plain number.
 */
export interface Register {
  /** The register number, 0–10. */
  readonly num: RegisterNumber;
  /** `r0` … `r10`. */
  readonly name: string;
}

function make(num: RegisterNumber): Register {
  return Object.freeze({ num, name: `r${num}` });
}

/** Return value of calls and of the program. */
export const R0: Register = make(0);
/** First argument; holds the context pointer on entry. */
export const R1: Register = make(1);
/** Second argument. */
export const R2: Register = make(2);
/** Third argument. */
export const R3: Register = make(3);
/** Fourth argument. */
export const R4: Register = make(4);
/** Fifth argument. */
export const R5: Register = make(5);
/** Callee-saved register. */
export const R6: Register = make(6);
/** Callee-saved register. */
export const R7: Register = make(7);
/** Callee-saved register. */
export const R8: Register = make(8);
/** Callee-saved register. */
export const R9: Register = make(9);
/** Read-only frame pointer: the stack lives below it. */
export const R10: Register = make(10);
/** Alias of R10. */
export const FP: Register = R10;

/** All registers indexed by number. */
export const REGISTERS: readonly Register[] = Object.freeze([R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10]);

/** The register constant for number `n` (0–10); throws for anything else. */
export function reg(n: number): Register {
  const r = REGISTERS[n];
  if (r === undefined || !Number.isInteger(n)) throw new AssemblyError(`no register r${n} (valid: r0-r10)`);
  return r;
}

/** True when `value` is one of the register constants. */
export function isRegister(value: unknown): value is Register {
  return typeof value === 'object' && value !== null && REGISTERS[(value as Register).num] === value;
}
