import { mov, type Operand } from '../builders/alu.js';
import type { Instruction } from '../instruction.js';
import { isRegister, type Register } from '../registers.js';

/**
 * Builds a plugin's own typed error for a bad argument, from the argument's name and what is
 * wrong with it (e.g. `(name, message) => new XdpArgumentError(name, message)`).
 */
export type ArgumentErrorFactory = (name: string, message: string) => Error;

/**
 * `dst = value` for a helper argument of a plugin template: nothing when `value` is `dst`
 * itself, a register move, or a move of a signed 32-bit immediate.
 * @param name - the argument's name, for the error
 * @param error - builds the plugin's error for a constant that is not a signed 32-bit integer
 * @throws the error `error` builds, before any instruction is made
 */
export function setArg(
  dst: Register,
  value: Operand,
  name: string,
  error: ArgumentErrorFactory,
): Instruction[] {
  if (isRegister(value)) return value.num === dst.num ? [] : [mov(dst, value)];
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw error(name, `${value} is not a signed 32-bit integer`);
  }
  return [mov(dst, value)];
}
