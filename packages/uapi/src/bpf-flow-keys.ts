import type { StructField, StructLayout } from './struct-layout.js';

const f = (offset: number, size: StructField['size']): StructField => Object.freeze({ offset, size });

const FIELDS = {
  nhoff: f(0, 2),
  thoff: f(2, 2),
  addr_proto: f(4, 2),
  is_frag: f(6, 1),
  is_first_frag: f(7, 1),
  is_encap: f(8, 1),
  ip_proto: f(9, 1),
  n_proto: f(10, 2),
  sport: f(12, 2),
  dport: f(14, 2),
  // an anonymous union of { ipv4_src, ipv4_dst } and { ipv6_src[4], ipv6_dst[4] }
  ipv4_src: f(16, 4),
  ipv4_dst: f(20, 4),
  'ipv6_src[0]': f(16, 4),
  'ipv6_src[1]': f(20, 4),
  'ipv6_src[2]': f(24, 4),
  'ipv6_src[3]': f(28, 4),
  'ipv6_dst[0]': f(32, 4),
  'ipv6_dst[1]': f(36, 4),
  'ipv6_dst[2]': f(40, 4),
  'ipv6_dst[3]': f(44, 4),
  flags: f(48, 4),
  flow_label: f(52, 4),
};

/** The names of `struct bpf_flow_keys`'s fields (array elements as `ipv6_src[0]` …). */
export type BpfFlowKeysField = keyof typeof FIELDS;

/**
 * `struct bpf_flow_keys` (include/uapi/linux/bpf.h, Linux 5.3 and later): what a flow
 * dissector (`BPF_PROG_TYPE_FLOW_DISSECTOR`) fills, and what `BPF_PROG_TEST_RUN` of one
 * returns as its output data. `nhoff`, `thoff`, `addr_proto` (an `ETH_P_*` value) and `flags`
 * are in host byte order; `n_proto`, `sport`, `dport`, the addresses and `flow_label` in
 * network byte order. The IPv4 addresses share their bytes with the start of `ipv6_src` (an
 * anonymous union; `addr_proto` says which is valid). 56 bytes.
 */
export const BPF_FLOW_KEYS_LAYOUT: StructLayout<BpfFlowKeysField> = Object.freeze({
  type: 'struct bpf_flow_keys',
  size: 56,
  fields: Object.freeze(FIELDS),
});
