import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1 } from '@ts-ebpf/dsl';
import { TC_RETURN_CODES } from './action.js';
import { type TC_CLASSIC_RETURN_CODES, TC_CLASSIC_RETURNS } from './classic-returns.js';
import { TC_CTX, TC_SK_BUFF, type TcSkBuffContext } from './context.js';
import { type TCX_RETURN_CODES, TCX_RETURNS } from './tcx-returns.js';
import { TC_TEMPLATES } from './templates.js';

/**
 * The tcx sections: `tcx/ingress`, `tcx/egress` and libbpf's older spellings of the same,
 * `tc/ingress`, `tc/egress` (expected attach type BPF_TCX_INGRESS / EGRESS; libbpf and
 * `attachBySection` of `@ts-ebpf/elf` attach them as tcx links).
 */
export type TcxSectionName = 'tcx/ingress' | 'tcx/egress' | 'tc/ingress' | 'tc/egress';

/**
 * The sections of no expected attach type, `tc` and `classifier`: the classic clsact cls_bpf
 * filter in direct-action mode (`attachTcClassic`), or a tcx attach.
 */
export type TcClassicSectionName = 'tc' | 'classifier';

/**
 * The sections the tc plugin builds programs for (libbpf's names): the tcx sections
 * ({@link TcxSectionName}) and the classic ones ({@link TcClassicSectionName}).
 */
export type TcSectionName = TcxSectionName | TcClassicSectionName;

/** The tc plugin's type. */
export type TcPlugin = DslPlugin<TcSkBuffContext, typeof TC_RETURN_CODES, typeof TC_TEMPLATES>;

/** A `tc` or `classifier` section: the actions a direct-action cls_bpf filter reads ({@link TC_CLASSIC_RETURN_CODES}). */
export type TcSection = PluginSection<TcSkBuffContext, typeof TC_CLASSIC_RETURN_CODES, typeof TC_TEMPLATES>;

/** A tcx section: the actions tcx reads ({@link TCX_RETURN_CODES}). */
export type TcxSection = PluginSection<TcSkBuffContext, typeof TCX_RETURN_CODES, typeof TC_TEMPLATES>;

const TCX_SECTIONS: readonly TcxSectionName[] = ['tcx/ingress', 'tcx/egress', 'tc/ingress', 'tc/egress'];
const CLASSIC_SECTIONS: readonly TcClassicSectionName[] = ['tc', 'classifier'];

/**
 * The plugin for `BPF_PROG_TYPE_SCHED_CLS` (direct-action tc programs). The tcx sections
 * return {@link TCX_RETURN_CODES}: tcx takes TC_ACT_STOLEN, TRAP, QUEUED, PIPE, RECLASSIFY and
 * REPEAT as TCX_NEXT, and the packet passes; `tc` and `classifier` return
 * {@link TC_CLASSIC_RETURN_CODES}, STOLEN and TRAP included: a direct-action cls_bpf filter
 * takes QUEUED, PIPE, RECLASSIFY and REPEAT as TC_ACT_UNSPEC. Every code an option or template
 * of this package chooses (`onFailure`, a template's verdict) is checked against the section
 * when the program is built, as `ret()` checks a name. Its
 * prologue copies the context from R1 into R6 ({@link TC_CTX}), where this package's
 * fragments expect it, since helper calls clobber R1–R5.
 */
export const tcPlugin: TcPlugin = definePlugin({
  name: 'tc',
  sections: [...TCX_SECTIONS, ...CLASSIC_SECTIONS],
  context: TC_SK_BUFF,
  returnCodes: TC_RETURN_CODES,
  sectionReturns: Object.fromEntries([
    ...TCX_SECTIONS.map((s) => [s, TCX_RETURNS]),
    ...CLASSIC_SECTIONS.map((s) => [s, TC_CLASSIC_RETURNS]),
  ]),
  prologue: (): Fragment => [mov(TC_CTX, R1)],
  templates: TC_TEMPLATES,
});

/**
 * The tc plugin's section `name` (default `tcx/ingress`): `.load('mark', R2, TC_CTX)`,
 * `.store('priority', R2, TC_CTX)`, `.ret('TCX_DROP')` and `.build(body)`, which gives
 * what `Program.load` takes. A tcx section's `ret` takes the codes tcx reads: `ret('TC_ACT_STOLEN')`
 * there is a type error and, past the types, a `ReturnCodeError` saying what tcx does with it;
 * `tc('tc').ret('TC_ACT_PIPE')` likewise, saying what a direct-action filter does with it.
 */
export function tc(name?: TcxSectionName): TcxSection;
export function tc(name: TcClassicSectionName): TcSection;
export function tc(name: TcSectionName): TcxSection | TcSection;
export function tc(name: TcSectionName = 'tcx/ingress'): TcxSection | TcSection {
  return new PluginSection(tcPlugin, name);
}
