import { type Fragment, returnIfNonZero } from '@ts-ebpf/dsl';
import { type XdpActionLike, xdpActionCode } from './action.js';

/**
 * After a helper that returns 0 on success: when `action` is given, returns it from the
 * program if R0 is not 0, recorded as chosen by `<what> onFailure` for the section's check
 * (`returnIfNonZero`); nothing when it is not.
 */
export function returnOnFailure(action: XdpActionLike | undefined, what: string): Fragment {
  if (action === undefined) return [];
  const by = `${what} onFailure`;
  return returnIfNonZero(xdpActionCode(action, by), by);
}
