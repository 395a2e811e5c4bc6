/**
 * @ts-ebpf/dsl-flow-dissector: BPF flow dissectors (`BPF_PROG_TYPE_FLOW_DISSECTOR`) in pure
 * TypeScript. The `struct bpf_flow_keys` output, the return codes, the flow_dissector plugin
 * for `@ts-ebpf/dsl`, and a dissector for VLAN, IPv4, IPv6, TCP and UDP built on the
 * shared parsers of `@ts-ebpf/dsl-packet`. No FFI and no Node-only API.
 * @packageDocumentation
 */
export {
  FLOW_DISSECTOR_CTX,
  FLOW_DISSECTOR_SK_BUFF,
  type FlowDissectorContext,
  FlowDissectorFlag,
  type FlowDissectorSkBuffField,
  FlowKeys,
} from './context.js';
export {
  type DissectOptions,
  FLOW_DISSECTOR_TEMPLATES,
  MAX_DISSECTOR_VLAN_TAGS,
  MAX_NHOFF,
} from './dissect.js';
export { FlowDissectorOptionError, FlowKeysBytesError } from './errors.js';
export { decodeFlowKeys, type FlowKeysData, flowKeysTestCtx } from './flow-keys.js';
export { type FlowDissectorPlugin, flowDissector, flowDissectorPlugin } from './plugin.js';
export { FLOW_DISSECTOR_RETURN_CODES, type FlowDissectorReturnName } from './return-codes.js';
