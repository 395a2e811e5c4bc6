/**
 * @ts-ebpf/dsl-xdp: XDP programs in pure TypeScript. The `xdp_md` context and the XDP
 * actions, the XDP plugin for `@ts-ebpf/dsl` (sections `xdp`, `xdp.frags`, `xdp/devmap`,
 * `xdp/cpumap`), redirects (by ifindex, devmap, cpumap, xskmap), head/tail/meta adjustment
 * and byte access for multi-buffer packets. No FFI and no Node-only API.
 * @packageDocumentation
 */
export { XdpAction } from '@ts-ebpf/uapi';
export { XDP_RETURN_CODES, type XdpActionLike, type XdpActionName, xdpActionCode } from './action.js';
export { type AdjustOptions, adjustHead, adjustMeta, adjustTail } from './adjust.js';
export { loadBytes, type PacketBytesOptions, storeBytes } from './bytes.js';
export { DEVMAP_SECTIONS, XDP_CTX, XDP_MD, type XdpMdContext, type XdpMdField } from './context.js';
export { XdpActionError, XdpArgumentError } from './errors.js';
export {
  XDP_CPUMAP_RETURN_CODES,
  XDP_CPUMAP_RETURNS,
  XDP_DEVMAP_RETURN_CODES,
  XDP_DEVMAP_RETURNS,
} from './map-run-returns.js';
export type { Value } from './operand.js';
export {
  type XdpCpumapSection,
  type XdpCpumapSectionName,
  type XdpDevmapSection,
  type XdpDevmapSectionName,
  type XdpPlugin,
  type XdpSection,
  type XdpSectionName,
  xdp,
  xdpPlugin,
} from './plugin.js';
export {
  type RedirectMapOptions,
  redirect,
  redirectMap,
  redirectToCpu,
  redirectToDevmap,
  redirectToXsk,
} from './redirect.js';
export {
  type AfXdpRedirectOptions,
  afXdpRedirect,
  type DropByProtocolOptions,
  dropByProtocol,
  type Ipv4BlocklistOptions,
  ipv4Blocklist,
  type L2ForwardOptions,
  l2Forward,
  type MacSwapOptions,
  macSwapTx,
  type PortFilterOptions,
  PROTOCOL_COUNTER_OTHER,
  type ProtocolCountersOptions,
  portFilter,
  protocolCounters,
  type TemplateByteOrder,
} from './templates/index.js';
export { XDP_TEMPLATES } from './templates.js';
