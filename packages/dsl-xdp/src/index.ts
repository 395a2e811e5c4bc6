/**
 * @ts-ebpf/dsl-xdp: XDP programs in pure TypeScript. The `xdp_md` context and the XDP
 * actions, the XDP plugin for `@ts-ebpf/dsl` (sections `xdp`, `xdp.frags`, `xdp/devmap`,
 * `xdp/cpumap`), redirects (by ifindex, devmap, cpumap, xskmap), head/tail/meta adjustment
 * and byte access for multi-buffer packets. No FFI and no Node-only API.
 * @packageDocumentation
 */
export { XdpAction } from '@ts-ebpf/uapi';
export { type XdpActionLike, xdpActionCode } from './action.js';
export { type AdjustOptions, adjustHead, adjustMeta, adjustTail } from './adjust.js';
export { loadBytes, type PacketBytesOptions, storeBytes } from './bytes.js';
export { DEVMAP_SECTIONS, XDP_MD, type XdpMdContext, type XdpMdField } from './context.js';
export { XdpActionError, XdpArgumentError } from './errors.js';
export type { Value } from './operand.js';
export {
  XDP_CTX,
  XDP_RETURN_CODES,
  type XdpActionName,
  type XdpPlugin,
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
export { XDP_TEMPLATES } from './templates.js';
