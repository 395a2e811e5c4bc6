/**
 * @ts-ebpf/dsl-socket: socket programs in pure TypeScript. Socket filters, sk_skb stream
 * parsers and verdicts, sk_msg verdicts and sock_ops programs for `@ts-ebpf/dsl`: their
 * contexts and return codes, sockmap/sockhash redirects, `msg_apply_bytes`,
 * `msg_cork_bytes`, `msg_pull_data`, sockmap updates from sock_ops, and templates (an
 * echo/redirect proxy, a message verdict by first bytes, a UDP port filter). No FFI and no
 * Node-only API.
 * @packageDocumentation
 */
export { SkAction } from '@ts-ebpf/uapi';
export { SocketArgumentError, SocketFieldError } from './errors.js';
export { loadPort, type PortSection } from './ports.js';
export type { SocketRedirectOptions } from './redirect-flags.js';
export {
  SK_BUFF,
  SK_SKB_SECTIONS,
  type SkBuffContext,
  type SkBuffField,
  type SkSkbSectionName,
  SOCKET_FILTER_SECTIONS,
} from './sk-buff.js';
export {
  type FirstBytesOptions,
  msgApplyBytes,
  msgCorkBytes,
  msgPullData,
  msgRedirectHash,
  msgRedirectMap,
  SK_MSG_MD,
  SK_MSG_TEMPLATES,
  type SkMsgContext,
  type SkMsgField,
  type SkMsgPlugin,
  skMsg,
  skMsgPlugin,
} from './sk-msg.js';
export {
  SK_RETURN_CODES,
  SK_SKB_TEMPLATES,
  type SkSkbParserSection,
  type SkSkbPlugin,
  type SkSkbVerdictSection,
  type SkVerdict,
  SOCKET_CTX,
  skRedirectHash,
  skRedirectMap,
  skSkb,
  skSkbPlugin,
} from './sk-skb.js';
export { BPF_SOCK, loadSock, type SockField, type SockLayout, type SockPointer, skFullsock } from './sock.js';
export {
  SOCK_OPS,
  type SockOpsContext,
  type SockOpsField,
  type SockOpsPlugin,
  sockHashUpdate,
  sockMapUpdate,
  sockOps,
  sockOpsPlugin,
  type UpdateMode,
} from './sock-ops.js';
export {
  SKF_NET_OFF,
  SOCKET_FILTER_RETURN_CODES,
  SOCKET_FILTER_TEMPLATES,
  type SocketFilterPlugin,
  socketFilter,
  socketFilterPlugin,
} from './socket-filter.js';
export { returnLength, STREAM_PARSER_RETURN_CODES, STREAM_PARSER_RETURNS } from './stream-parser.js';
export type { StackKey, Value } from './values.js';
