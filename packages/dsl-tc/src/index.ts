/**
 * @ts-ebpf/dsl-tc: tc programs (`BPF_PROG_TYPE_SCHED_CLS`, direct action) in pure TypeScript.
 * The `__sk_buff` context with tc's access rules, the TC_ACT and TCX codes, the tc plugin for
 * `@ts-ebpf/dsl` (sections `tcx/ingress`, `tcx/egress`, `tc`, `classifier` …), packet access
 * through the shared parsers of `@ts-ebpf/dsl-packet`, skb byte loads and stores, checksum
 * replacement, head/tail changes, redirects, `skb->sk` reads (`loadSock`, `skFullsock`, from
 * `@ts-ebpf/dsl-socket`), and templates (counters, a port filter, DSCP marking). No FFI and no
 * Node-only API.
 * @packageDocumentation
 */

// skb->sk access, from @ts-ebpf/dsl-socket (which owns struct bpf_sock for every program type):
// tc().load('sk', R2, TC_CTX) gives a maybe-NULL sock_common pointer; read it with
// loadSock('sock_common', field, dst, R2), or get the full socket (mark, protocol, type,
// priority too) with skFullsock(R2), then loadSock('sock', …) through R0.
export {
  BPF_SOCK,
  loadSock,
  SocketFieldError,
  type SockField,
  type SockLayout,
  type SockPointer,
  skFullsock,
} from '@ts-ebpf/dsl-socket';
export {
  TC_RETURN_CODES,
  TcAction,
  type TcActionLike,
  type TcActionName,
  TcxAction,
  tcActionCode,
} from './action.js';
export { TC_CLASSIC_RETURN_CODES, TC_CLASSIC_RETURNS } from './classic-returns.js';
export { TC_CTX, TC_SK_BUFF, type TcSkBuffContext, type TcSkBuffField } from './context.js';
export { TcActionError, TcArgumentError } from './errors.js';
export type { Value } from './operand.js';
export { loadSkbPointers, SK_BUFF_PACKET_POINTERS, tcCursor } from './packet.js';
export {
  type TcClassicSectionName,
  type TcPlugin,
  type TcSection,
  type TcSectionName,
  type TcxSection,
  type TcxSectionName,
  tc,
  tcPlugin,
} from './plugin.js';
export { cloneRedirect, type RedirectOptions, redirect, redirectNeigh, redirectPeer } from './redirect.js';
export {
  changeHead,
  changeTail,
  type L3CsumOptions,
  type L4CsumOptions,
  l3CsumReplace,
  l4CsumReplace,
  loadBytes,
  type SkbBytesOptions,
  type SkbHelperOptions,
  type SkbStoreOptions,
  storeBytes,
} from './skb.js';
export { TCX_RETURN_CODES, TCX_RETURNS } from './tcx-returns.js';
export {
  type CountersOptions,
  type DscpMarkOptions,
  type PortFilterOptions,
  TC_COUNTERS_LAYOUT,
  TC_TEMPLATES,
} from './templates.js';
