import { type Instruction, isRegister, mov, type Register } from '@ts-ebpf/dsl';
import { XdpArgumentError } from './errors.js';

/** A register, or a constant that fits a signed 32-bit immediate. */
export type Value = Register | number;

/** `dst = value`, refusing a constant that is not a 32-bit integer; nothing when `value` is `dst`. */
export function setArg(dst: Register, value: Value, name: string): Instruction[] {
  if (isRegister(value)) return value.num === dst.num ? [] : [mov(dst, value)];
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new XdpArgumentError(name, `${value} is not a signed 32-bit integer`);
  }
  return [mov(dst, value)];
}
