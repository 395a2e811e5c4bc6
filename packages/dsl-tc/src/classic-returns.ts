import type { SectionReturns } from '@ts-ebpf/dsl';
import { TcAction, TcxAction } from '@ts-ebpf/uapi';

/**
 * The return codes of the sections `tc` and `classifier` (no expected attach type: a classic
 * clsact cls_bpf filter in direct-action mode, as `attachTcClassic` of `@ts-ebpf/programs`
 * attaches it, or a tcx link): the six actions a direct-action cls_bpf filter reads
 * (`cls_bpf_exec_opcode` of net/sched/cls_bpf.c), TC_ACT_UNSPEC, OK, SHOT, STOLEN, TRAP and
 * REDIRECT, and the tcx names of four of them (`TCX_NEXT` = TC_ACT_UNSPEC, `TCX_PASS` =
 * TC_ACT_OK, `TCX_DROP` = TC_ACT_SHOT, `TCX_REDIRECT` = TC_ACT_REDIRECT).
 */
export const TC_CLASSIC_RETURN_CODES = Object.freeze({
  TC_ACT_UNSPEC: TcAction.UNSPEC,
  TC_ACT_OK: TcAction.OK,
  TC_ACT_SHOT: TcAction.SHOT,
  TC_ACT_STOLEN: TcAction.STOLEN,
  TC_ACT_REDIRECT: TcAction.REDIRECT,
  TC_ACT_TRAP: TcAction.TRAP,
  TCX_NEXT: TcxAction.NEXT,
  TCX_PASS: TcxAction.PASS,
  TCX_DROP: TcxAction.DROP,
  TCX_REDIRECT: TcxAction.REDIRECT,
} as const);

/** What a classic direct-action filter (and tcx) does with `code`, which it does not read. */
const asUnspec = (code: string): string =>
  `a direct-action cls_bpf filter takes ${code} as TC_ACT_UNSPEC (cls_bpf_exec_opcode): the next classic filter runs, and the packet passes when there is none (a tcx link takes it as TCX_NEXT); return TC_ACT_UNSPEC for that, TC_ACT_OK to pass the packet or TC_ACT_SHOT to drop it`;

/**
 * The tc plugin's `sectionReturns` entry of `tc` and `classifier`: {@link TC_CLASSIC_RETURN_CODES},
 * and why TC_ACT_RECLASSIFY, PIPE, QUEUED and REPEAT are refused there: a direct-action filter
 * reads none of them (they mean something to classic tc actions, not to a filter's verdict),
 * and takes each as TC_ACT_UNSPEC, as a live test shows.
 */
export const TC_CLASSIC_RETURNS: SectionReturns = Object.freeze({
  codes: TC_CLASSIC_RETURN_CODES,
  refused: Object.freeze({
    TC_ACT_RECLASSIFY: asUnspec('TC_ACT_RECLASSIFY'),
    TC_ACT_PIPE: asUnspec('TC_ACT_PIPE'),
    TC_ACT_QUEUED: asUnspec('TC_ACT_QUEUED'),
    TC_ACT_REPEAT: asUnspec('TC_ACT_REPEAT'),
  }),
});
