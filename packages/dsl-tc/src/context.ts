import { type ContextField, type ContextLayout, contextField, type FieldOptions, R6 } from '@ts-ebpf/dsl';

/** The register the tc plugin's prologue keeps the context (`struct __sk_buff *`) in. */
export const TC_CTX = R6;

const RW: FieldOptions = { write: true };
const HIDDEN: FieldOptions = { read: false };

/** `[name, offset, size, options]` of one `struct __sk_buff` field (linux/bpf.h). */
type Row = readonly [string, number, 1 | 4 | 8, FieldOptions?];

/** The fields after `cb[]`, offsets from linux/bpf.h. */
const ROWS: readonly Row[] = [
  ['len', 0, 4],
  ['pkt_type', 4, 4],
  ['mark', 8, 4, RW],
  ['queue_mapping', 12, 4, RW],
  ['protocol', 16, 4],
  ['vlan_present', 20, 4],
  ['vlan_tci', 24, 4],
  ['vlan_proto', 28, 4],
  ['priority', 32, 4, RW],
  ['ingress_ifindex', 36, 4],
  ['ifindex', 40, 4],
  ['tc_index', 44, 4, RW],
  ...[0, 1, 2, 3, 4].map((i): Row => [`cb[${i}]`, 48 + i * 4, 4, RW]),
  ['hash', 68, 4],
  ['tc_classid', 72, 4, RW],
  ['data', 76, 4, { kind: 'packet' }],
  ['data_end', 80, 4, { kind: 'packet_end' }],
  ['napi_id', 84, 4],
  // family … local_port: sk_skb programs only.
  ['family', 88, 4, HIDDEN],
  ['remote_ip4', 92, 4, HIDDEN],
  ['local_ip4', 96, 4, HIDDEN],
  ...[0, 1, 2, 3].map((i): Row => [`remote_ip6[${i}]`, 100 + i * 4, 4, HIDDEN]),
  ...[0, 1, 2, 3].map((i): Row => [`local_ip6[${i}]`, 116 + i * 4, 4, HIDDEN]),
  ['remote_port', 132, 4, HIDDEN],
  ['local_port', 136, 4, HIDDEN],
  ['data_meta', 140, 4, { kind: 'packet_meta' }],
  ['flow_keys', 144, 8, { kind: 'pointer', btfType: 'struct bpf_flow_keys', read: false }],
  ['tstamp', 152, 8, RW],
  ['wire_len', 160, 4],
  ['gso_segs', 164, 4],
  ['sk', 168, 8, { kind: 'pointer', btfType: 'struct bpf_sock', nullable: true }],
  ['gso_size', 176, 4],
  ['tstamp_type', 180, 1],
  ['hwtstamp', 184, 8],
];

/** The names of `struct __sk_buff`'s fields as tc programs see them (`cb[0]` … for arrays). */
export type TcSkBuffField =
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

/** The `struct __sk_buff` layout type of tc programs. */
export type TcSkBuffContext = ContextLayout<TcSkBuffField>;

/**
 * `struct __sk_buff` (linux/bpf.h) with the access rules of tc programs (the kernel's
 * `tc_cls_act_is_valid_access`): `mark`, `queue_mapping`, `priority`, `tc_index`, `cb[0..4]`,
 * `tc_classid` and `tstamp` are writable; `data`, `data_end` and `data_meta` load as packet
 * pointers (direct packet access, reads and writes); `sk` loads as a nullable `struct
 * bpf_sock` pointer; the socket fields `family` … `local_port` (sk_skb only) and
 * `flow_keys` (flow dissector only) are not readable. 192 bytes.
 */
export const TC_SK_BUFF: TcSkBuffContext = Object.freeze({
  type: 'struct __sk_buff',
  size: 192,
  fields: Object.freeze(
    Object.fromEntries(
      ROWS.map(([name, offset, size, o]) => [name, contextField(offset, size, o)]),
    ) as Record<TcSkBuffField, ContextField>,
  ),
});
