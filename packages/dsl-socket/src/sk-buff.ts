import {
  type Access,
  type ContextField,
  type ContextLayout,
  contextField,
  type FieldKind,
} from '@ts-ebpf/dsl';

/** The section of socket filters. */
export const SOCKET_FILTER_SECTIONS: readonly string[] = Object.freeze(['socket']);

/** The sections of sk_skb programs (libbpf's names). */
export const SK_SKB_SECTIONS = Object.freeze([
  'sk_skb/stream_parser',
  'sk_skb/stream_verdict',
  'sk_skb/verdict',
  'sk_skb',
] as const);

/** An sk_skb section name. */
export type SkSkbSectionName = (typeof SK_SKB_SECTIONS)[number];

const BOTH: Access = Object.freeze([...SOCKET_FILTER_SECTIONS, ...SK_SKB_SECTIONS]);
const SK_SKB: Access = SK_SKB_SECTIONS;
const SOCKET: Access = SOCKET_FILTER_SECTIONS;

function f(offset: number, size: 1 | 2 | 4 | 8, read: Access, kind: FieldKind = 'scalar'): ContextField {
  return contextField(offset, size, { read, kind });
}

function u32s<const N extends string>(
  names: readonly N[],
  start: number,
  read: Access,
): Record<N, ContextField> {
  return Object.fromEntries(names.map((n, i) => [n, f(start + i * 4, 4, read)])) as Record<N, ContextField>;
}

/**
 * `struct __sk_buff` (linux/bpf.h) with what socket filters (section `socket`, after the
 * kernel's `sk_filter_is_valid_access`) and sk_skb programs (`sk_skb_is_valid_access`) may
 * access: a socket filter may write `cb[0..4]` and reads no packet pointer nor socket address;
 * an sk_skb program reads the packet directly (`data`, `data_end`) and the socket's addresses
 * and ports, but not `mark`. `remote_ip4`, `local_ip4`, the IPv6 words and `remote_port`
 * are in network byte order, `local_port` in host byte order. This package allows no store
 * in sk_skb programs.
 */
const SK_BUFF_FIELDS = {
  ...u32s(['len', 'pkt_type'], 0, BOTH),
  mark: f(8, 4, SOCKET),
  ...u32s(
    [
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
    12,
    BOTH,
  ),
  ...Object.fromEntries(
    [0, 1, 2, 3, 4].map((i) => [`cb[${i}]`, contextField(48 + i * 4, 4, { read: BOTH, write: SOCKET })]),
  ),
  hash: f(68, 4, BOTH),
  tc_classid: f(72, 4, false),
  data: f(76, 4, SK_SKB, 'packet'),
  data_end: f(80, 4, SK_SKB, 'packet_end'),
  napi_id: f(84, 4, BOTH),
  ...u32s(['family', 'remote_ip4', 'local_ip4'], 88, SK_SKB),
  ...u32s(['remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]', 'remote_ip6[3]'], 100, SK_SKB),
  ...u32s(['local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]'], 116, SK_SKB),
  remote_port: f(132, 4, SK_SKB),
  local_port: f(136, 4, SK_SKB),
  data_meta: f(140, 4, false, 'packet_meta'),
  flow_keys: contextField(144, 8, { kind: 'pointer', btfType: 'struct bpf_flow_keys', read: false }),
  tstamp: f(152, 8, false),
  wire_len: f(160, 4, false),
  gso_segs: f(164, 4, BOTH),
  sk: contextField(168, 8, { kind: 'pointer', btfType: 'struct bpf_sock', nullable: true, read: BOTH }),
  gso_size: f(176, 4, BOTH),
  tstamp_type: f(180, 1, false),
  hwtstamp: f(184, 8, false),
} as Record<SkBuffField, ContextField>;

/** The names of `struct __sk_buff`'s fields (array elements as `cb[0]` …). */
export type SkBuffField =
  | 'len'
  | 'pkt_type'
  | 'mark'
  | 'queue_mapping'
  | 'protocol'
  | 'vlan_present'
  | 'vlan_tci'
  | 'vlan_proto'
  | 'priority'
  | 'ingress_ifindex'
  | 'ifindex'
  | 'tc_index'
  | `cb[${0 | 1 | 2 | 3 | 4}]`
  | 'hash'
  | 'tc_classid'
  | 'data'
  | 'data_end'
  | 'napi_id'
  | 'family'
  | 'remote_ip4'
  | 'local_ip4'
  | `remote_ip6[${0 | 1 | 2 | 3}]`
  | `local_ip6[${0 | 1 | 2 | 3}]`
  | 'remote_port'
  | 'local_port'
  | 'data_meta'
  | 'flow_keys'
  | 'tstamp'
  | 'wire_len'
  | 'gso_segs'
  | 'sk'
  | 'gso_size'
  | 'tstamp_type'
  | 'hwtstamp';

/** `struct __sk_buff` as socket filters and sk_skb programs see it. */
export type SkBuffContext = ContextLayout<SkBuffField>;

/** `struct __sk_buff`, 192 bytes: the context of socket filters and sk_skb programs. */
export const SK_BUFF: SkBuffContext = Object.freeze({
  type: 'struct __sk_buff',
  size: 192,
  fields: Object.freeze(SK_BUFF_FIELDS),
});
