import { TcAction } from '@ts-ebpf/uapi';
import { TcActionError } from './errors.js';

/**
 * tc actions (`TC_ACT_*`, linux/pkt_cls.h): what a direct-action tc program returns, declared
 * in `@ts-ebpf/uapi` and re-exported here. tcx reads only TC_ACT_OK/UNSPEC (next program or
 * pass), TC_ACT_SHOT (drop), TC_ACT_REDIRECT (after a redirect helper) and treats the others
 * as TC_ACT_UNSPEC.
 */
export { TcAction };

/** tc return codes by their C name (`TC_ACT_OK` …). */
export const TC_RETURN_CODES = Object.freeze(
  Object.fromEntries(Object.entries(TcAction).map(([k, v]) => [`TC_ACT_${k}`, v])),
) as { readonly [K in keyof typeof TcAction as `TC_ACT_${K}`]: (typeof TcAction)[K] };

/** A tc action by name (`'TC_ACT_SHOT'`). */
export type TcActionName = keyof typeof TC_RETURN_CODES;

/** A tc action: its name (`'TC_ACT_SHOT'`) or its code (`TcAction.SHOT`). */
export type TcActionLike = TcActionName | TcAction;

const CODES = new Set<number>(Object.values(TcAction));

/** The code of `action`; throws {@link TcActionError} for anything that is not a tc action. */
export function tcActionCode(action: TcActionLike, what = 'action'): TcAction {
  if (typeof action === 'string') {
    if (Object.hasOwn(TC_RETURN_CODES, action)) return TC_RETURN_CODES[action];
  } else if (CODES.has(action)) return action;
  throw new TcActionError(what, action);
}
