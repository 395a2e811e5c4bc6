import { TcActionError } from './errors.js';

/**
 * tc actions (`TC_ACT_*`, linux/pkt_cls.h): what a direct-action tc program returns. tcx
 * reads only TC_ACT_OK/UNSPEC (next program or pass), TC_ACT_SHOT (drop), TC_ACT_REDIRECT
 * (after a redirect helper) and treats the others as TC_ACT_UNSPEC.
 */
export const TcAction = Object.freeze({
  /** No verdict: run the next program (tcx), or the default (`TCX_NEXT`). */
  UNSPEC: -1,
  /** Pass the packet on. */
  OK: 0,
  /** Classify the packet again. */
  RECLASSIFY: 1,
  /** Drop the packet. */
  SHOT: 2,
  /** Continue with the next action (classic tc only). */
  PIPE: 3,
  /** The packet was consumed (e.g. queued elsewhere): drop it without counting a drop. */
  STOLEN: 4,
  /** The packet was queued. */
  QUEUED: 5,
  /** Run the action again. */
  REPEAT: 6,
  /** Redirect the packet where a redirect helper said. */
  REDIRECT: 7,
  /** Hardware path: trap to the CPU. */
  TRAP: 8,
} as const);

/** A tc action code. */
export type TcAction = (typeof TcAction)[keyof typeof TcAction];

/** tc return codes by name (`TC_ACT_OK` …). */
export const TC_RETURN_CODES = Object.freeze({
  TC_ACT_UNSPEC: TcAction.UNSPEC,
  TC_ACT_OK: TcAction.OK,
  TC_ACT_RECLASSIFY: TcAction.RECLASSIFY,
  TC_ACT_SHOT: TcAction.SHOT,
  TC_ACT_PIPE: TcAction.PIPE,
  TC_ACT_STOLEN: TcAction.STOLEN,
  TC_ACT_QUEUED: TcAction.QUEUED,
  TC_ACT_REPEAT: TcAction.REPEAT,
  TC_ACT_REDIRECT: TcAction.REDIRECT,
  TC_ACT_TRAP: TcAction.TRAP,
} as const);

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
