import {
  type Fragment,
  type Instruction,
  type Operand,
  type Register,
  returnIfNonZero,
  setArg as setPluginArg,
} from '@ts-ebpf/dsl';
import { type TcActionLike, tcActionCode } from './action.js';
import { TcArgumentError } from './errors.js';

/** A register, or a constant that fits a signed 32-bit immediate. */
export type Value = Operand;

/** `dst = value`, refusing a constant that is not a 32-bit integer; nothing when `value` is `dst`. */
export function setArg(dst: Register, value: Value, name: string): Instruction[] {
  return setPluginArg(dst, value, name, (n, message) => new TcArgumentError(n, message));
}

/**
 * After a helper that returns 0 on success: when `action` is given, returns it from the
 * program if R0 is not 0, recorded as chosen by `<what> onFailure` for the section's check
 * (`returnIfNonZero`); nothing when it is not given (R0 then holds the helper's result).
 */
export function returnOnFailure(action: TcActionLike | undefined, what: string): Fragment {
  if (action === undefined) return [];
  const by = `${what} onFailure`;
  return returnIfNonZero(tcActionCode(action, by), by);
}
