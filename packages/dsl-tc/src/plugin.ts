import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1 } from '@ts-ebpf/dsl';
import { TC_RETURN_CODES } from './action.js';
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
 * The sections the tc plugin builds programs for (libbpf's names): the tcx sections
 * ({@link TcxSectionName}) and `tc`, `classifier` (no expected attach type: the classic
 * clsact cls_bpf filter, or a tcx attach).
 */
export type TcSectionName = TcxSectionName | 'tc' | 'classifier';

/** The tc plugin's type. */
export type TcPlugin = DslPlugin<TcSkBuffContext, typeof TC_RETURN_CODES, typeof TC_TEMPLATES>;

/** A `tc` or `classifier` section: every tc action ({@link TC_RETURN_CODES}). */
export type TcSection = PluginSection<TcSkBuffContext, typeof TC_RETURN_CODES, typeof TC_TEMPLATES>;

/** A tcx section: the actions tcx reads ({@link TCX_RETURN_CODES}). */
export type TcxSection = PluginSection<TcSkBuffContext, typeof TCX_RETURN_CODES, typeof TC_TEMPLATES>;

const TCX_SECTIONS: readonly TcxSectionName[] = ['tcx/ingress', 'tcx/egress', 'tc/ingress', 'tc/egress'];

/**
 * The plugin for `BPF_PROG_TYPE_SCHED_CLS` (direct-action tc programs). The tcx sections
 * return {@link TCX_RETURN_CODES}: tcx takes TC_ACT_STOLEN, TRAP, QUEUED, PIPE, RECLASSIFY and
 * REPEAT as TCX_NEXT, and the packet passes; `tc` and `classifier` keep every tc action. Its
 * prologue copies the context from R1 into R6 ({@link TC_CTX}), where this package's
 * fragments expect it, since helper calls clobber R1–R5.
 */
export const tcPlugin: TcPlugin = definePlugin({
  name: 'tc',
  sections: [...TCX_SECTIONS, 'tc', 'classifier'],
  context: TC_SK_BUFF,
  returnCodes: TC_RETURN_CODES,
  sectionReturns: Object.fromEntries(TCX_SECTIONS.map((s) => [s, TCX_RETURNS])),
  prologue: (): Fragment => [mov(TC_CTX, R1)],
  templates: TC_TEMPLATES,
});

/**
 * The tc plugin's section `name` (default `tcx/ingress`): `.load('mark', R2, TC_CTX)`,
 * `.store('priority', R2, TC_CTX)`, `.ret('TCX_DROP')` and `.build(body)`, which gives
 * what `Program.load` takes. A tcx section's `ret` takes the codes tcx reads: `ret('TC_ACT_STOLEN')`
 * there is a type error and, past the types, a `PluginError` saying what tcx does with it.
 */
export function tc(name?: TcxSectionName): TcxSection;
export function tc(name: 'tc' | 'classifier'): TcSection;
export function tc(name: TcSectionName): TcxSection | TcSection;
export function tc(name: TcSectionName = 'tcx/ingress'): TcxSection | TcSection {
  return new PluginSection(tcPlugin, name);
}
