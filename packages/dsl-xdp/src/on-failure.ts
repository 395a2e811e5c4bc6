import { exit, type Fragment, jeq, labelScope, mark, mov, R0 } from '@ts-ebpf/dsl';
import { type XdpActionLike, xdpActionCode } from './action.js';

/**
 * After a helper that returns 0 on success: when `action` is given, returns it from the
 * program if R0 is not 0 (`if r0 == 0 goto ok; r0 = action; exit; ok:`, with a fresh label);
 * nothing when it is not.
 */
export function returnOnFailure(action: XdpActionLike | undefined, what: string): Fragment {
  if (action === undefined) return [];
  const code = xdpActionCode(action, `${what} onFailure`);
  const ok = labelScope()('ok');
  return [jeq(R0, 0, ok), mov(R0, code), exit(), mark(ok)];
}
