import {
  exit,
  type Fragment,
  type Instruction,
  jeq,
  labelScope,
  mark,
  mov,
  type Operand,
  R0,
  type Register,
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
 * program if R0 is not 0; nothing when it is not given (R0 then holds the helper's result).
 */
export function returnOnFailure(action: TcActionLike | undefined, what: string): Fragment {
  if (action === undefined) return [];
  const code = tcActionCode(action, `${what} onFailure`);
  const ok = labelScope()('ok');
  return [jeq(R0, 0, ok), mov(R0, code), exit(), mark(ok)];
}
