/**
 * @ts-ebpf/dsl-sk-lookup: sk_lookup programs in pure TypeScript. The `bpf_sk_lookup` context
 * with the byte order of each field, SK_PASS/SK_DROP, `sk_assign`/`sk_release` of a socket
 * from a sockmap or sockhash, the sk_lookup plugin for `@ts-ebpf/dsl`, and templates (a port
 * range to one socket, dispatch by local address). No FFI and no Node-only API.
 * @packageDocumentation
 */
export { BpfSkLookupFlag, SkAction } from '@ts-ebpf/uapi';
export {
  type AssignFlags,
  type AssignFromMapOptions,
  assignFlags,
  assignFromMap,
  type StackKey,
  skAssign,
  skRelease,
} from './assign.js';
export {
  type FieldByteOrder,
  SK_LOOKUP,
  SK_LOOKUP_BYTE_ORDER,
  type SkLookupContext,
  type SkLookupField,
} from './context.js';
export { SkLookupArgumentError } from './errors.js';
export {
  SK_LOOKUP_CTX,
  SK_LOOKUP_RETURN_CODES,
  type SkLookupPlugin,
  type SkLookupVerdict,
  skLookup,
  skLookupPlugin,
} from './plugin.js';
export { dispatchByLocalAddress, type SteerPortRangeOptions, steerPortRange } from './templates.js';
export {
  ipv4Word,
  loadPort,
  type ProtocolName,
  protocolNumber,
  SkLookupFamily,
  SkLookupProtocol,
  type Value,
} from './values.js';
