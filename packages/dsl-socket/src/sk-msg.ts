import {
  add,
  type ContextField,
  type ContextLayout,
  call,
  contextField,
  type DslPlugin,
  definePlugin,
  exit,
  type Fragment,
  fragment,
  jgt,
  jlt,
  jne,
  ldx,
  type MapRef,
  mark,
  mov,
  PluginSection,
  R0,
  R1,
  R2,
  R3,
  R4,
  R7,
  type Register,
} from '@ts-ebpf/dsl';
import { SocketArgumentError } from './errors.js';
import { mapHelperCall, redirectFlags, type SocketRedirectOptions } from './redirect-flags.js';
import { SK_RETURN_CODES, type SkVerdict, SOCKET_CTX } from './sk-skb.js';
import { type StackKey, setArg, type Value } from './values.js';

/**
 * `struct sk_msg_md` (linux/bpf.h), read-only (`sk_msg_is_valid_access`): `data` and
 * `data_end` load as packet pointers over the message's first scatterlist element;
 * `remote_ip4`, `local_ip4`, the IPv6 words and `remote_port` are in network byte order,
 * `local_port` in host byte order; `size` is the whole message's length; `sk` the socket, a
 * full one (read it with `loadSock('sock', …)`).
 */
const SK_MSG_FIELDS = {
  data: contextField(0, 8, { kind: 'packet' }),
  data_end: contextField(8, 8, { kind: 'packet_end' }),
  family: contextField(16, 4),
  remote_ip4: contextField(20, 4),
  local_ip4: contextField(24, 4),
  'remote_ip6[0]': contextField(28, 4),
  'remote_ip6[1]': contextField(32, 4),
  'remote_ip6[2]': contextField(36, 4),
  'remote_ip6[3]': contextField(40, 4),
  'local_ip6[0]': contextField(44, 4),
  'local_ip6[1]': contextField(48, 4),
  'local_ip6[2]': contextField(52, 4),
  'local_ip6[3]': contextField(56, 4),
  remote_port: contextField(60, 4),
  local_port: contextField(64, 4),
  size: contextField(68, 4),
  sk: contextField(72, 8, { kind: 'pointer', btfType: 'struct bpf_sock' }),
} as const satisfies Record<string, ContextField>;

/** The names of `struct sk_msg_md`'s fields. */
export type SkMsgField = keyof typeof SK_MSG_FIELDS;

/** The `struct sk_msg_md` layout type. */
export type SkMsgContext = ContextLayout<SkMsgField>;

/** `struct sk_msg_md`: the context of sk_msg programs, 80 bytes. */
export const SK_MSG_MD: SkMsgContext = Object.freeze({
  type: 'struct sk_msg_md',
  size: 80,
  fields: Object.freeze(SK_MSG_FIELDS),
});

/** Options of {@link SK_MSG_TEMPLATES}`.verdictByFirstBytes`. */
export interface FirstBytesOptions {
  /** The verdict for a message that starts with the prefix (default SK_PASS). */
  readonly onMatch?: SkVerdict;
  /** The verdict for any other message, including one shorter than the prefix (default SK_DROP). */
  readonly otherwise?: SkVerdict;
}

function verdict(v: SkVerdict, what: string): number {
  if (!Object.hasOwn(SK_RETURN_CODES, v))
    throw new SocketArgumentError(what, `${JSON.stringify(v)} is not SK_PASS or SK_DROP`);
  return SK_RETURN_CODES[v];
}

/**
 * The sk_msg plugin's templates: whole programs (bodies for `skMsg().build(...)`). The type is
 * written out so that the declarations say `Uint8Array`, which TypeScript before 5.7 reads, and
 * not the generic `Uint8Array` of 5.7 (`<ArrayBufferLike>`) an inferred type would print.
 */
export const SK_MSG_TEMPLATES: Readonly<{
  /**
   * A verdict by the message's first bytes: messages starting with `prefix` (1–64 bytes) get
   * `onMatch`, the others `otherwise`. Pulls the prefix into the first scatterlist element
   * first (`bpf_msg_pull_data`), so a prefix split over two writes of a corked message is
   * still seen whole. A dropped message never reaches the peer; the sender's write fails
   * with EACCES.
   */
  verdictByFirstBytes: (prefix: Uint8Array, options?: FirstBytesOptions) => Fragment;
}> = Object.freeze({
  verdictByFirstBytes: fragment((label, prefix: Uint8Array, options: FirstBytesOptions = {}): Fragment => {
    if (!(prefix instanceof Uint8Array) || prefix.byteLength < 1 || prefix.byteLength > 64)
      throw new SocketArgumentError('prefix', 'must be a Uint8Array of 1 to 64 bytes');
    const match = verdict(options.onMatch ?? 'SK_PASS', 'onMatch');
    const other = verdict(options.otherwise ?? 'SK_DROP', 'otherwise');
    const bytes = Uint8Array.from(prefix);
    const compare: Fragment = [...bytes].flatMap((b, i) => [ldx('b', R0, R2, i), jne(R0, b, label('other'))]);
    return [
      ldx('w', R2, SOCKET_CTX, SK_MSG_MD.fields.size.offset),
      jlt(R2, bytes.length, label('other')),
      ...msgPullData(0, bytes.length),
      jne(R0, 0, label('other')),
      ldx('dw', R2, SOCKET_CTX, SK_MSG_MD.fields.data.offset),
      ldx('dw', R3, SOCKET_CTX, SK_MSG_MD.fields.data_end.offset),
      mov(R7, R2),
      add(R7, bytes.length),
      jgt(R7, R3, label('other')),
      ...compare,
      mov(R0, match),
      exit(),
      mark(label('other')),
      mov(R0, other),
      exit(),
    ];
  }),
});

/** The sk_msg plugin's type. */
export type SkMsgPlugin = DslPlugin<SkMsgContext, typeof SK_RETURN_CODES, typeof SK_MSG_TEMPLATES>;

/**
 * The plugin for `BPF_PROG_TYPE_SK_MSG` (section `sk_msg`, attach type SK_MSG_VERDICT): runs
 * for each `sendmsg`/`sendfile` on a socket of the sockmap or sockhash it is attached to, and
 * returns SK_PASS, SK_DROP or a redirect. Its prologue saves the context in R6 ({@link SOCKET_CTX}).
 */
export const skMsgPlugin: SkMsgPlugin = definePlugin({
  name: 'sk_msg',
  sections: ['sk_msg'],
  context: SK_MSG_MD,
  returnCodes: SK_RETURN_CODES,
  prologue: (): Fragment => [mov(SOCKET_CTX, R1)],
  templates: SK_MSG_TEMPLATES,
});

/** The sk_msg plugin's section: `.load('size', R2, SOCKET_CTX)`, `.ret('SK_PASS')`, `.build(body)`. */
export function skMsg(): PluginSection<SkMsgContext, typeof SK_RETURN_CODES, typeof SK_MSG_TEMPLATES> {
  return new PluginSection(skMsgPlugin, 'sk_msg');
}

/**
 * `r0 = bpf_msg_redirect_map(msg, sockmap, key, flags)`: the message goes to the socket at
 * `key` of a sockmap (sent out of it, or onto its receive queue with `ingress`). R0 is then
 * SK_PASS, or SK_DROP when the map has no socket there: follow with `exit()`. Clobbers R1–R5.
 */
export function msgRedirectMap(
  sockmap: MapRef,
  key: Value,
  options: SocketRedirectOptions = {},
  ctx: Register = SOCKET_CTX,
): Fragment {
  return mapHelperCall('msg_redirect_map', sockmap, key, redirectFlags(options), ctx);
}

/** `r0 = bpf_msg_redirect_hash(msg, sockhash, &key, flags)`: {@link msgRedirectMap} through a sockhash. */
export function msgRedirectHash(
  sockhash: MapRef,
  key: StackKey,
  options: SocketRedirectOptions = {},
  ctx: Register = SOCKET_CTX,
): Fragment {
  return mapHelperCall('msg_redirect_hash', sockhash, key, redirectFlags(options), ctx);
}

/**
 * `bpf_msg_apply_bytes(msg, bytes)`: this program's verdict applies to the next `bytes` bytes,
 * and the program does not run again before they are sent. Clobbers R0–R5.
 */
export function msgApplyBytes(bytes: Value, ctx: Register = SOCKET_CTX): Fragment {
  return [...setArg(R2, bytes, 'bytes'), mov(R1, ctx), call('msg_apply_bytes')];
}

/**
 * `bpf_msg_cork_bytes(msg, bytes)`: holds the data back until `bytes` bytes have been
 * gathered, then runs the program again on all of them. Clobbers R0–R5.
 */
export function msgCorkBytes(bytes: Value, ctx: Register = SOCKET_CTX): Fragment {
  return [...setArg(R2, bytes, 'bytes'), mov(R1, ctx), call('msg_cork_bytes')];
}

/**
 * `r0 = bpf_msg_pull_data(msg, start, end, 0)`: makes bytes `start..end` of the message
 * directly readable between `data` and `data_end` (load both again afterwards). R0 is 0 or a
 * negative errno. Constants are checked here: a negative one (the helper takes u32s) is a
 * {@link SocketArgumentError} naming it, and so is an `end` not past `start`, for which the
 * kernel's helper would always return -EINVAL. Clobbers R1–R5.
 */
export function msgPullData(start: Value, end: Value, ctx: Register = SOCKET_CTX): Fragment {
  for (const [name, v] of [
    ['start', start],
    ['end', end],
  ] as const)
    if (typeof v === 'number' && v < 0)
      throw new SocketArgumentError(name, `${v} is not a byte offset (the helper takes a u32)`);
  if (typeof start === 'number' && typeof end === 'number' && end <= start)
    throw new SocketArgumentError(
      'end',
      `${end} is not past start ${start} (bpf_msg_pull_data returns -EINVAL)`,
    );
  return [
    ...setArg(R2, start, 'start'),
    ...setArg(R3, end, 'end'),
    mov(R1, ctx),
    mov(R4, 0),
    call('msg_pull_data'),
  ];
}
