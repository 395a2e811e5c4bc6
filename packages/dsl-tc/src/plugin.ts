import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1 } from '@ts-ebpf/dsl';
import { TC_RETURN_CODES } from './action.js';
import { TC_CTX, TC_SK_BUFF, type TcSkBuffContext } from './context.js';
import { TC_TEMPLATES } from './templates.js';

/**
 * The sections the tc plugin builds programs for (libbpf's names): `tcx/ingress`,
 * `tcx/egress` (bpf_link on the tcx hook; `tc/ingress`, `tc/egress` are libbpf's older
 * spellings of the same) and `tc`, `classifier` (no expected attach type: the classic
 * clsact cls_bpf filter, or a tcx attach).
 */
export type TcSectionName = 'tcx/ingress' | 'tcx/egress' | 'tc/ingress' | 'tc/egress' | 'tc' | 'classifier';

/** The tc plugin's type. */
export type TcPlugin = DslPlugin<TcSkBuffContext, typeof TC_RETURN_CODES, typeof TC_TEMPLATES>;

/**
 * The plugin for `BPF_PROG_TYPE_SCHED_CLS` (direct-action tc programs). Its prologue copies
 * the context from R1 into R6 ({@link TC_CTX}), where this package's fragments expect it,
 * since helper calls clobber R1–R5.
 */
export const tcPlugin: TcPlugin = definePlugin({
  name: 'tc',
  sections: ['tcx/ingress', 'tcx/egress', 'tc/ingress', 'tc/egress', 'tc', 'classifier'],
  context: TC_SK_BUFF,
  returnCodes: TC_RETURN_CODES,
  prologue: (): Fragment => [mov(TC_CTX, R1)],
  templates: TC_TEMPLATES,
});

/**
 * The tc plugin's section `name` (default `tcx/ingress`): `.load('mark', R2, TC_CTX)`,
 * `.store('priority', R2, TC_CTX)`, `.ret('TC_ACT_SHOT')` and `.build(body)`, which gives
 * what `Program.load` takes.
 */
export function tc(
  name: TcSectionName = 'tcx/ingress',
): PluginSection<TcSkBuffContext, typeof TC_RETURN_CODES, typeof TC_TEMPLATES> {
  return new PluginSection(tcPlugin, name);
}
