/**
 * Ready-made XDP program bodies (for `xdp().build(...)`): each is a fragment with its own
 * fresh labels, parsing with `@ts-ebpf/dsl-packet`.
 * @module
 */
export { type AfXdpRedirectOptions, afXdpRedirect } from './af-xdp.js';
export type { TemplateByteOrder } from './common.js';
export { type DropByProtocolOptions, dropByProtocol } from './drop-by-protocol.js';
export { type Ipv4BlocklistOptions, ipv4Blocklist } from './ipv4-blocklist.js';
export { type L2ForwardOptions, l2Forward } from './l2-forward.js';
export { type MacSwapOptions, macSwapTx } from './mac-swap.js';
export { type PortFilterOptions, portFilter } from './port-filter.js';
export {
  PROTOCOL_COUNTER_OTHER,
  type ProtocolCountersOptions,
  protocolCounters,
} from './protocol-counters.js';
