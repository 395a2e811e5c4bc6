import { type ContextField, type ContextLayout, contextField, type FieldOptions, R6 } from '@ts-ebpf/dsl';
import { SK_BUFF_LAYOUT, type SkBuffField } from '@ts-ebpf/uapi';

/** The register the tc plugin's prologue keeps the context (`struct __sk_buff *`) in. */
export const TC_CTX = R6;

const RW: FieldOptions = { write: true };
const HIDDEN: FieldOptions = { read: false };

/**
 * tc's access rules by field (offsets and sizes are `SK_BUFF_LAYOUT` of `@ts-ebpf/uapi`); a
 * field not named here is read-only scalar.
 */
const RULES: Partial<Record<SkBuffField, FieldOptions>> = {
  mark: RW,
  queue_mapping: RW,
  priority: RW,
  tc_index: RW,
  ...Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`cb[${i}]`, RW])),
  tc_classid: RW,
  data: { kind: 'packet' },
  data_end: { kind: 'packet_end' },
  family: HIDDEN,
  remote_ip4: HIDDEN,
  local_ip4: HIDDEN,
  ...Object.fromEntries([0, 1, 2, 3].map((i) => [`remote_ip6[${i}]`, HIDDEN])),
  ...Object.fromEntries([0, 1, 2, 3].map((i) => [`local_ip6[${i}]`, HIDDEN])),
  remote_port: HIDDEN,
  local_port: HIDDEN,
  data_meta: { kind: 'packet_meta' },
  flow_keys: { kind: 'pointer', btfType: 'struct bpf_flow_keys', read: false },
  tstamp: RW,
  sk: { kind: 'pointer', btfType: 'struct sock_common', nullable: true },
};

/** The names of `struct __sk_buff`'s fields as tc programs see them (`cb[0]` … for arrays). */
export type TcSkBuffField = SkBuffField;

/** The `struct __sk_buff` layout type of tc programs. */
export type TcSkBuffContext = ContextLayout<TcSkBuffField>;

/**
 * `struct __sk_buff` (linux/bpf.h) with the access rules of tc programs (the kernel's
 * `tc_cls_act_is_valid_access`): `mark`, `queue_mapping`, `priority`, `tc_index`, `cb[0..4]`,
 * `tc_classid` and `tstamp` are writable; `data`, `data_end` and `data_meta` load as packet
 * pointers (direct packet access, reads and writes); `sk` loads as the verifier's
 * `sock_common_or_null`: a maybe-NULL `struct sock_common` pointer (maybe of a request or
 * timewait socket), through which only some `struct bpf_sock` fields are readable
 * (`loadSock('sock_common', …)`; `skFullsock` gives the full socket, every field); the
 * socket fields `family` … `local_port` (sk_skb only) and `flow_keys` (flow dissector only)
 * are not readable. 192 bytes.
 */
export const TC_SK_BUFF: TcSkBuffContext = Object.freeze({
  type: SK_BUFF_LAYOUT.type,
  size: SK_BUFF_LAYOUT.size,
  fields: Object.freeze(
    Object.fromEntries(
      Object.entries(SK_BUFF_LAYOUT.fields).map(([name, { offset, size }]) => [
        name,
        contextField(offset, size, RULES[name as SkBuffField]),
      ]),
    ) as Record<TcSkBuffField, ContextField>,
  ),
});
