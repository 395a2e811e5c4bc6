import {
  add,
  type Instruction,
  mov,
  type Operand,
  R10,
  type Register,
  setArg as setPluginArg,
} from '@ts-ebpf/dsl';
import { SocketArgumentError } from './errors.js';

/** A register, or a constant that fits a signed 32-bit immediate. */
export type Value = Operand;

/** A key already written to the stack, at `r10 + stack` (as long as the map's key). */
export interface StackKey {
  /** Negative offset from R10 (the frame pointer) of the key's first byte. */
  readonly stack: number;
}

/** `dst = value`, refusing a constant that is not a 32-bit integer; nothing when `value` is `dst`. */
export function setArg(dst: Register, value: Value, name: string): Instruction[] {
  return setPluginArg(dst, value, name, (n, message) => new SocketArgumentError(n, message));
}

/** `dst = r10 + key.stack`, refusing an offset outside the 512-byte stack. */
export function stackPointer(dst: Register, key: StackKey, name: string): Instruction[] {
  if (!Number.isInteger(key.stack) || key.stack < -512 || key.stack >= 0)
    throw new SocketArgumentError(name, `r10 ${key.stack} is not inside the 512-byte stack`);
  return [mov(dst, R10), add(dst, key.stack)];
}
