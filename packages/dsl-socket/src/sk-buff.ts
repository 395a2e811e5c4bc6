import {
  type Access,
  type ContextField,
  type ContextLayout,
  contextField,
  type FieldKind,
} from '@ts-ebpf/dsl';
import { SK_BUFF_LAYOUT, type SkBuffField } from '@ts-ebpf/uapi';

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

/** A field's access rule: who may read it (and write it), and what a load of it gives. */
type Rule = readonly [read: Access, kind?: FieldKind, write?: Access];

const each = (names: readonly string[], rule: Rule): Record<string, Rule> =>
  Object.fromEntries(names.map((n) => [n, rule]));

/**
 * `struct __sk_buff` (linux/bpf.h) with what socket filters (section `socket`, after the
 * kernel's `sk_filter_is_valid_access`) and sk_skb programs (`sk_skb_is_valid_access`) may
 * access: a socket filter may write `cb[0..4]` and reads no packet pointer nor socket address;
 * an sk_skb program reads the packet directly (`data`, `data_end`) and the socket's addresses
 * and ports, but not `mark`, and may write `priority` and `tc_index` only. `sk` loads a
 * maybe-NULL `struct sock_common` pointer, through which only some `struct bpf_sock` fields are
 * readable (`loadSock('sock_common', …)`). `remote_ip4`,
 * `local_ip4`, the IPv6 words and `remote_port` are in network byte order, `local_port` in
 * host byte order. Offsets and sizes are `SK_BUFF_LAYOUT` of `@ts-ebpf/uapi`.
 */
const RULES = {
  len: [BOTH],
  pkt_type: [BOTH],
  mark: [SOCKET],
  ...each(
    ['queue_mapping', 'protocol', 'vlan_present', 'vlan_tci', 'vlan_proto', 'ingress_ifindex', 'ifindex'],
    [BOTH],
  ),
  ...each(['priority', 'tc_index'], [BOTH, 'scalar', SK_SKB]),
  ...each(
    [0, 1, 2, 3, 4].map((i) => `cb[${i}]`),
    [BOTH, 'scalar', SOCKET],
  ),
  hash: [BOTH],
  tc_classid: [false],
  data: [SK_SKB, 'packet'],
  data_end: [SK_SKB, 'packet_end'],
  napi_id: [BOTH],
  ...each(
    [
      'family',
      'remote_ip4',
      'local_ip4',
      ...[0, 1, 2, 3].map((i) => `remote_ip6[${i}]`),
      ...[0, 1, 2, 3].map((i) => `local_ip6[${i}]`),
      'remote_port',
      'local_port',
    ],
    [SK_SKB],
  ),
  data_meta: [false, 'packet_meta'],
  flow_keys: [false, 'pointer'],
  tstamp: [false],
  wire_len: [false],
  gso_segs: [BOTH],
  sk: [BOTH, 'pointer'],
  gso_size: [BOTH],
  tstamp_type: [false],
  hwtstamp: [false],
} as Record<string, Rule> as Record<SkBuffField, Rule>;

/**
 * The pointee of each pointer field. `sk` loads as the verifier's `sock_common_or_null`: a
 * `struct sock_common` (maybe of a request or timewait socket), not a full `struct bpf_sock`;
 * read it with `loadSock('sock_common', …)`.
 */
const POINTERS: Partial<Record<SkBuffField, { btfType: string; nullable?: boolean }>> = {
  flow_keys: { btfType: 'struct bpf_flow_keys' },
  sk: { btfType: 'struct sock_common', nullable: true },
};

const SK_BUFF_FIELDS = Object.fromEntries(
  Object.entries(SK_BUFF_LAYOUT.fields).map(([name, { offset, size }]) => {
    const [read, kind = 'scalar', write] = RULES[name as SkBuffField];
    const pointer = POINTERS[name as SkBuffField];
    return [name, contextField(offset, size, { read, kind, ...(write && { write }), ...pointer })];
  }),
) as Record<SkBuffField, ContextField>;

/** The names of `struct __sk_buff`'s fields (array elements as `cb[0]` …). */
export type { SkBuffField };

/** `struct __sk_buff` as socket filters and sk_skb programs see it. */
export type SkBuffContext = ContextLayout<SkBuffField>;

/** `struct __sk_buff`, 192 bytes: the context of socket filters and sk_skb programs. */
export const SK_BUFF: SkBuffContext = Object.freeze({
  type: SK_BUFF_LAYOUT.type,
  size: SK_BUFF_LAYOUT.size,
  fields: Object.freeze(SK_BUFF_FIELDS),
});
