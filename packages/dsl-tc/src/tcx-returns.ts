import type { SectionReturns } from '@ts-ebpf/dsl';
import { TcAction, TcxAction } from '@ts-ebpf/uapi';

/**
 * The return codes of tcx programs (sections `tcx/ingress`, `tcx/egress`, and `tc/ingress`,
 * `tc/egress`, which libbpf, `attachBySection` of `@ts-ebpf/elf` and this plugin attach
 * through tcx too): the four values tcx reads (`tcx_action_code` of include/net/tcx.h), by
 * their tcx names and the tc names they share with: `TCX_NEXT` = `TC_ACT_UNSPEC` (the next tcx
 * program, then the classic tc filters, then the packet passes), `TCX_PASS` = `TC_ACT_OK`,
 * `TCX_DROP` = `TC_ACT_SHOT`, `TCX_REDIRECT` = `TC_ACT_REDIRECT` (after a redirect helper).
 */
export const TCX_RETURN_CODES = Object.freeze({
  TC_ACT_UNSPEC: TcAction.UNSPEC,
  TC_ACT_OK: TcAction.OK,
  TC_ACT_SHOT: TcAction.SHOT,
  TC_ACT_REDIRECT: TcAction.REDIRECT,
  TCX_NEXT: TcxAction.NEXT,
  TCX_PASS: TcxAction.PASS,
  TCX_DROP: TcxAction.DROP,
  TCX_REDIRECT: TcxAction.REDIRECT,
} as const);

/**
 * What tcx does with a tc action it does not read: `tcx_run` (net/core/dev.c) stops at any
 * value but TCX_NEXT, and `tcx_action_code` then takes it as TCX_NEXT; then `rest`.
 */
const asNext = (code: string, rest: string): string =>
  `tcx treats ${code} as TCX_NEXT once it has ended the chain of tcx programs (tcx_run, tcx_action_code): the tcx programs after it do not run, the classic tc filters do, and the packet passes when there are none; ${rest}`;

/** For a code that consumes the packet on classic tc. */
const consumedOnClassic = (code: string): string =>
  asNext(
    code,
    `use TCX_DROP to drop it (${code} consumes the packet on classic tc only: build for section 'tc' and attach with attachTcClassic)`,
  );

/** For a code a classic direct-action filter does not read either. */
const unspecOnClassic = (code: string): string =>
  asNext(
    code,
    'a classic direct-action cls_bpf filter takes it as TC_ACT_UNSPEC too (cls_bpf_exec_opcode); use TCX_NEXT, TCX_PASS or TCX_DROP',
  );

/**
 * The tc plugin's `sectionReturns` entry of the tcx sections: {@link TCX_RETURN_CODES}, and
 * why TC_ACT_STOLEN, TRAP, QUEUED, PIPE, RECLASSIFY and REPEAT are refused there: tcx lets
 * the packet pass on each, as a live test shows (STOLEN and TRAP consume it on classic tc
 * only; a classic direct-action filter does not read the others either).
 */
export const TCX_RETURNS: SectionReturns = Object.freeze({
  codes: TCX_RETURN_CODES,
  refused: Object.freeze({
    TC_ACT_STOLEN: consumedOnClassic('TC_ACT_STOLEN'),
    TC_ACT_TRAP: consumedOnClassic('TC_ACT_TRAP'),
    TC_ACT_QUEUED: unspecOnClassic('TC_ACT_QUEUED'),
    TC_ACT_PIPE: unspecOnClassic('TC_ACT_PIPE'),
    TC_ACT_RECLASSIFY: unspecOnClassic('TC_ACT_RECLASSIFY'),
    TC_ACT_REPEAT: unspecOnClassic('TC_ACT_REPEAT'),
  }),
});
