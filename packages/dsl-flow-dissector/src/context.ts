import { type ContextField, type ContextLayout, contextField, type FieldOptions, R6 } from '@ts-ebpf/dsl';
import { BPF_FLOW_KEYS_LAYOUT, SK_BUFF_LAYOUT, type SkBuffField } from '@ts-ebpf/uapi';

/** The register the flow dissector plugin's prologue keeps the context (`struct __sk_buff *`) in. */
export const FLOW_DISSECTOR_CTX = R6;

/** A field of `struct __sk_buff` at its `SK_BUFF_LAYOUT` offset and size (`@ts-ebpf/uapi`). */
function field(name: SkBuffField, options: FieldOptions): ContextField {
  const { offset, size } = SK_BUFF_LAYOUT.fields[name];
  return contextField(offset, size, options);
}

/** The fields of `struct __sk_buff` a flow dissector may use. */
export type FlowDissectorSkBuffField = 'data' | 'data_end' | 'flow_keys';

/** The `struct __sk_buff` layout type of flow dissectors. */
export type FlowDissectorContext = ContextLayout<FlowDissectorSkBuffField>;

/**
 * `struct __sk_buff` (linux/bpf.h) as the kernel's `flow_dissector_is_valid_access` lets a
 * flow dissector use it: only `data` and `data_end` (packet pointers) and `flow_keys` (the
 * `struct bpf_flow_keys *` the program fills) are readable; nothing is writable.
 */
export const FLOW_DISSECTOR_SK_BUFF: FlowDissectorContext = Object.freeze({
  type: SK_BUFF_LAYOUT.type,
  size: SK_BUFF_LAYOUT.size,
  fields: Object.freeze({
    data: field('data', { kind: 'packet' }),
    data_end: field('data_end', { kind: 'packet_end' }),
    flow_keys: field('flow_keys', { kind: 'pointer', btfType: 'struct bpf_flow_keys' }),
  } satisfies Record<FlowDissectorSkBuffField, ContextField>),
});

const KEYS = BPF_FLOW_KEYS_LAYOUT.fields;

/**
 * `struct bpf_flow_keys` (linux/bpf.h), the dissector's output: byte offsets and the size,
 * from `BPF_FLOW_KEYS_LAYOUT` of `@ts-ebpf/uapi` (the one declaration of the layout, which
 * `decodeFlowKeys` reads too).
 * `nhoff`, `thoff`, `addr_proto` are host-order u16s (`addr_proto` an ETH_P_* value);
 * `n_proto`, `sport`, `dport`, the addresses and `flow_label` are in network order;
 * `flags` (BPF_FLOW_DISSECTOR_F_*) is an input, host order. `ipv4_src`/`ipv4_dst` share
 * their bytes with the start of `ipv6_src`.
 */
export const FlowKeys = Object.freeze({
  NHOFF: KEYS.nhoff.offset,
  THOFF: KEYS.thoff.offset,
  ADDR_PROTO: KEYS.addr_proto.offset,
  IS_FRAG: KEYS.is_frag.offset,
  IS_FIRST_FRAG: KEYS.is_first_frag.offset,
  IS_ENCAP: KEYS.is_encap.offset,
  IP_PROTO: KEYS.ip_proto.offset,
  N_PROTO: KEYS.n_proto.offset,
  SPORT: KEYS.sport.offset,
  DPORT: KEYS.dport.offset,
  IPV4_SRC: KEYS.ipv4_src.offset,
  IPV4_DST: KEYS.ipv4_dst.offset,
  IPV6_SRC: KEYS['ipv6_src[0]'].offset,
  IPV6_DST: KEYS['ipv6_dst[0]'].offset,
  FLAGS: KEYS.flags.offset,
  FLOW_LABEL: KEYS.flow_label.offset,
  SIZE: BPF_FLOW_KEYS_LAYOUT.size,
});

/** `BPF_FLOW_DISSECTOR_F_*` (linux/bpf.h): what the caller asks of the dissector in `flow_keys->flags`. */
export const FlowDissectorFlag = Object.freeze({
  /** Parse the L4 header of a first fragment too. */
  PARSE_1ST_FRAG: 1,
  /** Stop after the IPv6 header when the flow label is not zero. */
  STOP_AT_FLOW_LABEL: 2,
  /** Do not descend into encapsulated packets. */
  STOP_AT_ENCAP: 4,
});
