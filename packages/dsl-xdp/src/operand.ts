import { type Instruction, type Operand, type Register, setArg as setPluginArg } from '@ts-ebpf/dsl';
import { XdpArgumentError } from './errors.js';

/** A register, or a constant that fits a signed 32-bit immediate. */
export type Value = Operand;

/** `dst = value`, refusing a constant that is not a 32-bit integer; nothing when `value` is `dst`. */
export function setArg(dst: Register, value: Value, name: string): Instruction[] {
  return setPluginArg(dst, value, name, (n, message) => new XdpArgumentError(n, message));
}
