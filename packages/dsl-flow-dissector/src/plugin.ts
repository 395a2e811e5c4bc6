import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1 } from '@ts-ebpf/dsl';
import { FLOW_DISSECTOR_CTX, FLOW_DISSECTOR_SK_BUFF, type FlowDissectorContext } from './context.js';
import { FLOW_DISSECTOR_TEMPLATES } from './dissect.js';
import { FLOW_DISSECTOR_RETURN_CODES } from './return-codes.js';

/** The flow dissector plugin's type. */
export type FlowDissectorPlugin = DslPlugin<
  FlowDissectorContext,
  typeof FLOW_DISSECTOR_RETURN_CODES,
  typeof FLOW_DISSECTOR_TEMPLATES
>;

/**
 * The plugin for `BPF_PROG_TYPE_FLOW_DISSECTOR` (section `flow_dissector`, attached to a
 * network namespace). Its prologue copies the context from R1 into R6
 * ({@link FLOW_DISSECTOR_CTX}).
 */
export const flowDissectorPlugin: FlowDissectorPlugin = definePlugin({
  name: 'flow_dissector',
  sections: ['flow_dissector'],
  context: FLOW_DISSECTOR_SK_BUFF,
  returnCodes: FLOW_DISSECTOR_RETURN_CODES,
  prologue: (): Fragment => [mov(FLOW_DISSECTOR_CTX, R1)],
  templates: FLOW_DISSECTOR_TEMPLATES,
});

/** The section `flow_dissector`: `.load('flow_keys', R2, FLOW_DISSECTOR_CTX)`, `.ret('BPF_OK')`, `.build(body)`. */
export function flowDissector(): PluginSection<
  FlowDissectorContext,
  typeof FLOW_DISSECTOR_RETURN_CODES,
  typeof FLOW_DISSECTOR_TEMPLATES
> {
  return new PluginSection(flowDissectorPlugin, 'flow_dissector');
}
