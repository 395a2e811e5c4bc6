import type { ByteOrder } from '@ts-ebpf/uapi';
import { mov } from '../builders/alu.js';
import { exit, jne } from '../builders/jump.js';
import { type Fragment, mark } from '../labels.js';
import { R0, R1, R6 } from '../registers.js';
import { type ContextField, type ContextLayout, contextField, type FieldOptions } from './context.js';
import { fragment } from './fresh-labels.js';
import { type DslPlugin, definePlugin, loadContext } from './plugin.js';

const NO: FieldOptions = { read: false };

function u32s<const N extends string>(
  names: readonly N[],
  start: number,
  options: FieldOptions = {},
): Record<N, ContextField> {
  const entries = names.map((n, i) => [n, contextField(start + i * 4, 4, options)]);
  return Object.fromEntries(entries) as Record<N, ContextField>;
}

function array<const N extends string, const I extends number>(
  name: N,
  indices: readonly I[],
  start: number,
  options: FieldOptions,
): Record<`${N}[${I}]`, ContextField> {
  return u32s(
    indices.map((i): `${N}[${I}]` => `${name}[${i}]`),
    start,
    options,
  );
}

/**
 * `struct __sk_buff` (linux/bpf.h) with what a socket filter may access, after the kernel's
 * `sk_filter_is_valid_access`: only `cb[0..4]` is writable; packet pointers, socket
 * addresses, tstamp, wire_len and hwtstamp are not readable.
 */
const SK_BUFF_FIELDS = {
  ...u32s(
    [
      'len',
      'pkt_type',
      'mark',
      'queue_mapping',
      'protocol',
      'vlan_present',
      'vlan_tci',
      'vlan_proto',
      'priority',
      'ingress_ifindex',
      'ifindex',
      'tc_index',
    ],
    0,
  ),
  ...array('cb', [0, 1, 2, 3, 4], 48, { write: true }),
  hash: contextField(68, 4),
  tc_classid: contextField(72, 4, NO),
  data: contextField(76, 4, { kind: 'packet', read: false }),
  data_end: contextField(80, 4, { kind: 'packet_end', read: false }),
  napi_id: contextField(84, 4),
  ...u32s(['family', 'remote_ip4', 'local_ip4'], 88, NO),
  ...array('remote_ip6', [0, 1, 2, 3], 100, NO),
  ...array('local_ip6', [0, 1, 2, 3], 116, NO),
  remote_port: contextField(132, 4, NO),
  local_port: contextField(136, 4, NO),
  data_meta: contextField(140, 4, { kind: 'packet_meta', read: false }),
  flow_keys: contextField(144, 8, { kind: 'pointer', btfType: 'struct bpf_flow_keys', read: false }),
  tstamp: contextField(152, 8, NO),
  wire_len: contextField(160, 4, NO),
  gso_segs: contextField(164, 4),
  sk: contextField(168, 8, { kind: 'pointer', btfType: 'struct bpf_sock', nullable: true }),
  gso_size: contextField(176, 4),
  tstamp_type: contextField(180, 1, NO),
  hwtstamp: contextField(184, 8, NO),
} as const satisfies Record<string, ContextField>;

/** `struct __sk_buff` as a socket filter sees it. */
export type SkBuffContext = ContextLayout<keyof typeof SK_BUFF_FIELDS & string>;

/** Socket filter return codes: the number of packet bytes to keep; 0 drops the packet. */
const RETURN_CODES = Object.freeze({ DROP: 0, KEEP_ALL: -1 } as const);

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

const templates = {
  /** Keeps every packet whole. */
  acceptAll: (): Fragment => [mov(R0, RETURN_CODES.KEEP_ALL), exit()],
  /** Drops every packet. */
  dropAll: (): Fragment => [mov(R0, RETURN_CODES.DROP), exit()],
  /** Keeps the first `bytes` bytes of every packet. */
  truncate: (bytes: number): Fragment => [mov(R0, bytes), exit()],
  /**
   * Keeps packets whose EtherType (`skb->protocol`, e.g. 0x0800) matches and drops the rest.
   * `skb->protocol` is in network byte order; `byteOrder` is the target's (HOST_BYTE_ORDER).
   * Its label is fresh per call.
   */
  etherType: fragment(
    (label, etherType: number, byteOrder: ByteOrder): Fragment => [
      loadContext(socketFilterPlugin, 'protocol', R0),
      jne(R0, byteOrder === 'little' ? swap16(etherType) : etherType, label('drop')),
      mov(R0, RETURN_CODES.KEEP_ALL),
      exit(),
      mark(label('drop')),
      mov(R0, RETURN_CODES.DROP),
      exit(),
    ],
  ),
};

/**
 * The plugin for `BPF_PROG_TYPE_SOCKET_FILTER` (section `socket`). Its prologue saves the
 * context in R6, as legacy packet loads (`ldAbs`/`ldInd`) require.
 */
export const socketFilterPlugin: DslPlugin<SkBuffContext, typeof RETURN_CODES, typeof templates> =
  definePlugin({
    name: 'socket_filter',
    sections: ['socket'],
    context: Object.freeze({ type: 'struct __sk_buff', size: 192, fields: Object.freeze(SK_BUFF_FIELDS) }),
    returnCodes: RETURN_CODES,
    prologue: (): Fragment => [mov(R6, R1)],
    templates: Object.freeze(templates),
  });
