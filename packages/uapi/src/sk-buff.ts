import type { StructField, StructLayout } from './struct-layout.js';

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

const at = (offset: number, size: StructField['size']): StructField => Object.freeze({ offset, size });

/** `count` consecutive u32 fields `name[0]` … from `offset`. */
function u32Array(name: string, offset: number, count: number): Record<string, StructField> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`${name}[${i}]`, at(offset + i * 4, 4)]),
  );
}

/**
 * `struct __sk_buff` (include/uapi/linux/bpf.h, Linux 6.1 and later): the context of socket
 * filters, tc, sk_skb, cgroup skb, flow dissector and other skb programs, as the program sees
 * it (the verifier rewrites each access into the real `struct sk_buff`). Every field is a u32
 * except the pointers `flow_keys` and `sk` (8 bytes, `__bpf_md_ptr`), `tstamp` and `hwtstamp`
 * (u64) and `tstamp_type` (u8). Which program type may read or write which field is the
 * kernel's `*_is_valid_access` of that type, and is the plugins' business. 192 bytes.
 */
export const SK_BUFF_LAYOUT: StructLayout<SkBuffField> = Object.freeze({
  type: 'struct __sk_buff',
  size: 192,
  fields: Object.freeze({
    len: at(0, 4),
    pkt_type: at(4, 4),
    mark: at(8, 4),
    queue_mapping: at(12, 4),
    protocol: at(16, 4),
    vlan_present: at(20, 4),
    vlan_tci: at(24, 4),
    vlan_proto: at(28, 4),
    priority: at(32, 4),
    ingress_ifindex: at(36, 4),
    ifindex: at(40, 4),
    tc_index: at(44, 4),
    ...u32Array('cb', 48, 5),
    hash: at(68, 4),
    tc_classid: at(72, 4),
    data: at(76, 4),
    data_end: at(80, 4),
    napi_id: at(84, 4),
    family: at(88, 4),
    remote_ip4: at(92, 4),
    local_ip4: at(96, 4),
    ...u32Array('remote_ip6', 100, 4),
    ...u32Array('local_ip6', 116, 4),
    remote_port: at(132, 4),
    local_port: at(136, 4),
    data_meta: at(140, 4),
    flow_keys: at(144, 8),
    tstamp: at(152, 8),
    wire_len: at(160, 4),
    gso_segs: at(164, 4),
    sk: at(168, 8),
    gso_size: at(176, 4),
    tstamp_type: at(180, 1),
    hwtstamp: at(184, 8),
  } as Record<SkBuffField, StructField>),
});
