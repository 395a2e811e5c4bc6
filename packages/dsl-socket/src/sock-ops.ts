import {
  type ContextField,
  type ContextLayout,
  contextField,
  type DslPlugin,
  definePlugin,
  type Fragment,
  isRegister,
  type MapRef,
  mov,
  PluginSection,
  R1,
  R2,
  R10,
  type Register,
  stx,
} from '@ts-ebpf/dsl';
import { SocketArgumentError } from './errors.js';
import { mapHelperCall } from './redirect-flags.js';
import { SOCKET_CTX } from './sk-skb.js';
import { type StackKey, setArg, type Value } from './values.js';

const W = { write: true } as const;

/**
 * Four u32 words `name[0..3]` from `start`; `writeFirst` makes `name[0]` writable (the
 * kernel's `sock_ops_is_valid_access` lets a program store only at the offset of `reply`,
 * which `replylong[0]` shares, and not to `replylong[1..3]`).
 */
function words<const N extends string>(
  name: N,
  start: number,
  writeFirst = false,
): Record<`${N}[${0 | 1 | 2 | 3}]`, ContextField> {
  return Object.fromEntries(
    [0, 1, 2, 3].map((i) => [
      `${name}[${i}]`,
      contextField(start + i * 4, 4, writeFirst && i === 0 ? W : {}),
    ]),
  ) as Record<`${N}[${0 | 1 | 2 | 3}]`, ContextField>;
}

function u32s<const N extends string>(names: readonly N[], start: number): Record<N, ContextField> {
  return Object.fromEntries(names.map((n, i) => [n, contextField(start + i * 4, 4)])) as Record<
    N,
    ContextField
  >;
}

/**
 * `struct bpf_sock_ops` (linux/bpf.h): `op` says which callback runs (BPF_SOCK_OPS_*);
 * `args[0..3]` are its arguments and share their place with `reply` / `replylong[0..3]`.
 * A program may store only to `reply` (= `replylong[0]`) and `sk_txhash`: the kernel's
 * `sock_ops_is_valid_access` refuses a store to `replylong[1..3]`, and so does this layout. Addresses and `remote_port` are
 * in network byte order, `local_port` in host byte order; `sk` is the socket (maybe NULL; a
 * full one: `loadSock('sock', …)`),
 * `skb_data`/`skb_data_end` the packet of the header-option callbacks.
 */
const SOCK_OPS_FIELDS = {
  op: contextField(0, 4),
  ...words('args', 4),
  reply: contextField(4, 4, W),
  ...words('replylong', 4, true),
  family: contextField(20, 4),
  remote_ip4: contextField(24, 4),
  local_ip4: contextField(28, 4),
  ...words('remote_ip6', 32),
  ...words('local_ip6', 48),
  ...u32s(
    [
      'remote_port',
      'local_port',
      'is_fullsock',
      'snd_cwnd',
      'srtt_us',
      'bpf_sock_ops_cb_flags',
      'state',
      'rtt_min',
      'snd_ssthresh',
      'rcv_nxt',
      'snd_nxt',
      'snd_una',
      'mss_cache',
      'ecn_flags',
      'rate_delivered',
      'rate_interval_us',
      'packets_out',
      'retrans_out',
      'total_retrans',
      'segs_in',
      'data_segs_in',
      'segs_out',
      'data_segs_out',
      'lost_out',
      'sacked_out',
    ],
    64,
  ),
  sk_txhash: contextField(164, 4, W),
  bytes_received: contextField(168, 8),
  bytes_acked: contextField(176, 8),
  sk: contextField(184, 8, { kind: 'pointer', btfType: 'struct bpf_sock', nullable: true }),
  skb_data: contextField(192, 8, { kind: 'packet' }),
  skb_data_end: contextField(200, 8, { kind: 'packet_end' }),
  skb_len: contextField(208, 4),
  skb_tcp_flags: contextField(212, 4),
  skb_hwtstamp: contextField(216, 8),
} as const satisfies Record<string, ContextField>;

/** The names of `struct bpf_sock_ops`'s fields. */
export type SockOpsField = keyof typeof SOCK_OPS_FIELDS;

/** The `struct bpf_sock_ops` layout type. */
export type SockOpsContext = ContextLayout<SockOpsField>;

/** `struct bpf_sock_ops`: the context of sock_ops programs, 224 bytes. */
export const SOCK_OPS: SockOpsContext = Object.freeze({
  type: 'struct bpf_sock_ops',
  size: 224,
  fields: Object.freeze(SOCK_OPS_FIELDS),
});

/** The sock_ops plugin's type (a sock_ops program returns 1 on success; `reply` carries answers). */
export type SockOpsPlugin = DslPlugin<
  SockOpsContext,
  { readonly OK: 1; readonly ERROR: 0 },
  Record<never, never>
>;

/**
 * The plugin for `BPF_PROG_TYPE_SOCK_OPS` (section `sockops`, attached to a cgroup): called
 * at points of a TCP connection's life (`op`), e.g. to put established connections into a
 * sockmap or sockhash. Its prologue saves the context in R6 ({@link SOCKET_CTX}).
 */
export const sockOpsPlugin: SockOpsPlugin = definePlugin({
  name: 'sock_ops',
  sections: ['sockops'],
  context: SOCK_OPS,
  returnCodes: Object.freeze({ OK: 1, ERROR: 0 } as const),
  prologue: (): Fragment => [mov(SOCKET_CTX, R1)],
  templates: Object.freeze({}),
});

/** The sock_ops plugin's section `sockops`. */
export function sockOps(): PluginSection<
  SockOpsContext,
  { readonly OK: 1; readonly ERROR: 0 },
  Record<never, never>
> {
  return new PluginSection(sockOpsPlugin, 'sockops');
}

/** How {@link sockMapUpdate} and {@link sockHashUpdate} treat an existing entry (BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
export type UpdateMode = 'any' | 'noexist' | 'exist';

const MODES: Readonly<Record<UpdateMode, number>> = Object.freeze({ any: 0, noexist: 1, exist: 2 });

function modeFlag(mode: UpdateMode): number {
  if (!Object.hasOwn(MODES, mode))
    throw new SocketArgumentError('mode', `${JSON.stringify(mode)} is not 'any', 'noexist' or 'exist'`);
  return MODES[mode];
}

/**
 * `r0 = bpf_sock_map_update(skops, sockmap, &key, flags)`: puts the connection of this
 * sock_ops callback into a sockmap at `key` (a u32 constant or register, stored at `keySlot`,
 * default `r10 - 4`, or a {@link StackKey} already on the stack). R0 is 0 or a negative errno.
 * Throws {@link SocketArgumentError} naming `keySlot` for a slot outside the stack or with no
 * room for the key. Clobbers R1–R5.
 */
export function sockMapUpdate(
  sockmap: MapRef,
  key: Value | StackKey,
  options: { readonly mode?: UpdateMode; readonly keySlot?: number; readonly ctx?: Register } = {},
): Fragment {
  let stackKey: StackKey;
  let store: Fragment = [];
  if (typeof key === 'object' && !isRegister(key)) stackKey = key;
  else {
    stackKey = { stack: options.keySlot ?? -4 };
    if (!Number.isInteger(stackKey.stack) || stackKey.stack < -512)
      throw new SocketArgumentError('keySlot', `r10 ${stackKey.stack} is not inside the 512-byte stack`);
    if (stackKey.stack > -4)
      throw new SocketArgumentError('keySlot', `r10 ${stackKey.stack} leaves no room for a u32 key`);
    store = [...setArg(R2, key, 'key'), stx('w', R10, R2, stackKey.stack)];
  }
  const flags = modeFlag(options.mode ?? 'any');
  return [...store, ...mapHelperCall('sock_map_update', sockmap, stackKey, flags, options.ctx ?? SOCKET_CTX)];
}

/**
 * `r0 = bpf_sock_hash_update(skops, sockhash, &key, flags)`: puts the connection into a
 * sockhash under the key on the stack. R0 is 0 or a negative errno. Clobbers R1–R5.
 */
export function sockHashUpdate(
  sockhash: MapRef,
  key: StackKey,
  options: { readonly mode?: UpdateMode; readonly ctx?: Register } = {},
): Fragment {
  const flags = modeFlag(options.mode ?? 'any');
  return mapHelperCall('sock_hash_update', sockhash, key, flags, options.ctx ?? SOCKET_CTX);
}
