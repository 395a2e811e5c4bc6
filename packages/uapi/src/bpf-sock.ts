import type { StructField, StructLayout } from './struct-layout.js';

/** The names of `struct bpf_sock`'s fields (array elements as `src_ip6[0]` …). */
export type BpfSockField =
  | 'bound_dev_if'
  | 'family'
  | 'type'
  | 'protocol'
  | 'mark'
  | 'priority'
  | 'src_ip4'
  | `src_ip6[${0 | 1 | 2 | 3}]`
  | 'src_port'
  | 'dst_port'
  | 'dst_ip4'
  | `dst_ip6[${0 | 1 | 2 | 3}]`
  | 'state'
  | 'rx_queue_mapping';

const at = (offset: number, size: StructField['size']): StructField => Object.freeze({ offset, size });

/**
 * `struct bpf_sock` (include/uapi/linux/bpf.h): a socket as BPF programs read it through a
 * socket pointer (`sk` of `__sk_buff`, `sk_msg_md`, `bpf_sock_ops`, `bpf_sk_lookup`, what
 * `bpf_sk_fullsock` or `bpf_sk_lookup_tcp` return), the verifier rewriting each load into the
 * kernel's socket. Every field is a u32 but `dst_port`, a `__be16` followed by 16 bits of
 * padding, and `rx_queue_mapping`, an s32; `src_port` is in host byte order, `dst_port` and the
 * addresses in network byte order. Which fields a pointer gives is the verifier's business
 * (a `sock_common` pointer gives fewer than a full socket's). 80 bytes.
 */
export const BPF_SOCK_LAYOUT: StructLayout<BpfSockField> = Object.freeze({
  type: 'struct bpf_sock',
  size: 80,
  fields: Object.freeze({
    bound_dev_if: at(0, 4),
    family: at(4, 4),
    type: at(8, 4),
    protocol: at(12, 4),
    mark: at(16, 4),
    priority: at(20, 4),
    src_ip4: at(24, 4),
    'src_ip6[0]': at(28, 4),
    'src_ip6[1]': at(32, 4),
    'src_ip6[2]': at(36, 4),
    'src_ip6[3]': at(40, 4),
    src_port: at(44, 4),
    dst_port: at(48, 2),
    dst_ip4: at(52, 4),
    'dst_ip6[0]': at(56, 4),
    'dst_ip6[1]': at(60, 4),
    'dst_ip6[2]': at(64, 4),
    'dst_ip6[3]': at(68, 4),
    state: at(72, 4),
    rx_queue_mapping: at(76, 4),
  } satisfies Record<BpfSockField, StructField>),
});
