import {
  exit,
  type Fragment,
  type Instruction,
  isRegister,
  jeq,
  labelScope,
  mark,
  mov,
  R0,
  type Register,
} from '@ts-ebpf/dsl';
import { type TcActionLike, tcActionCode } from './action.js';
import { TcArgumentError } from './errors.js';

/** A register, or a constant that fits a signed 32-bit immediate. */
export type Value = Register | number;

/** `dst = value`, refusing a constant that is not a 32-bit integer; nothing when `value` is `dst`. */
export function setArg(dst: Register, value: Value, name: string): Instruction[] {
  if (isRegister(value)) return value.num === dst.num ? [] : [mov(dst, value)];
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new TcArgumentError(name, `${value} is not a signed 32-bit integer`);
  }
  return [mov(dst, value)];
}

/**
 * After a helper that returns 0 on success: when `action` is given, returns it from the
 * program if R0 is not 0; nothing when it is not given (R0 then holds the helper's result).
 */
export function returnOnFailure(action: TcActionLike | undefined, what: string): Fragment {
  if (action === undefined) return [];
  const code = tcActionCode(action, `${what} onFailure`);
  const ok = labelScope()('ok');
  return [jeq(R0, 0, ok), mov(R0, code), exit(), mark(ok)];
}
