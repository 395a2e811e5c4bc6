import { TcAction, TcxAction } from '@ts-ebpf/uapi';
import { TcActionError } from './errors.js';

/**
 * tc actions (`TC_ACT_*`, linux/pkt_cls.h): what a direct-action tc program returns, and
 * their tcx names (`TCX_*`, `enum tcx_action_base` of linux/bpf.h: the same values), declared
 * in `@ts-ebpf/uapi` and re-exported here. tcx reads TC_ACT_UNSPEC (TCX_NEXT: the next
 * program), TC_ACT_OK (TCX_PASS), TC_ACT_SHOT (TCX_DROP) and TC_ACT_REDIRECT (TCX_REDIRECT,
 * after a redirect helper); any other value ends the tcx chain and is then taken as TCX_NEXT.
 */
export { TcAction, TcxAction };

/** tc return codes by their C name: `TC_ACT_OK` … and tcx's `TCX_NEXT`, `TCX_PASS`, `TCX_DROP`, `TCX_REDIRECT`. */
export const TC_RETURN_CODES = Object.freeze(
  Object.fromEntries([
    ...Object.entries(TcAction).map(([k, v]) => [`TC_ACT_${k}`, v]),
    ...Object.entries(TcxAction).map(([k, v]) => [`TCX_${k}`, v]),
  ]),
) as { readonly [K in keyof typeof TcAction as `TC_ACT_${K}`]: (typeof TcAction)[K] } & {
  readonly [K in keyof typeof TcxAction as `TCX_${K}`]: (typeof TcxAction)[K];
};

/** A tc action by name (`'TC_ACT_SHOT'`, `'TCX_DROP'`). */
export type TcActionName = keyof typeof TC_RETURN_CODES;

/** A tc action: its name (`'TC_ACT_SHOT'`, `'TCX_DROP'`) or its code (`TcAction.SHOT`). */
export type TcActionLike = TcActionName | TcAction;

const CODES = new Set<number>(Object.values(TcAction));

/** The code of `action`; throws {@link TcActionError} for anything that is not a tc action. */
export function tcActionCode(action: TcActionLike, what = 'action'): TcAction {
  if (typeof action === 'string') {
    if (Object.hasOwn(TC_RETURN_CODES, action)) return TC_RETURN_CODES[action];
  } else if (CODES.has(action)) return action;
  throw new TcActionError(what, action);
}
