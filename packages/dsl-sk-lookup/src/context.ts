import { type ContextField, type ContextLayout, contextField } from '@ts-ebpf/dsl';

/** The byte order a context field's value has in the register a load puts it in. */
export type FieldByteOrder = 'host' | 'network';

function u32(offset: number): ContextField {
  return contextField(offset, 4);
}

/**
 * `struct bpf_sk_lookup` (linux/bpf.h), as the kernel's `sk_lookup_is_valid_access` lets
 * programs use it: every field is read-only. `sk` loads as a nullable `struct bpf_sock`
 * pointer (the socket already selected, NULL before). Byte orders, after the kernel's context
 * rewrite (`sk_lookup_convert_ctx_access`):
 * - `family`, `protocol`, `local_port`, `ingress_ifindex`: host byte order;
 * - `remote_ip4`, `local_ip4`, `remote_ip6[i]`, `local_ip6[i]`: network byte order (the
 *   address bytes as they are on the wire: a store of the register writes them back);
 * - `remote_port`: a 2-byte field in network byte order (`__be16`), while `local_port` is a
 *   4-byte field in host byte order.
 */
const SK_LOOKUP_FIELDS = {
  sk: contextField(0, 8, { kind: 'pointer', btfType: 'struct bpf_sock', nullable: true }),
  family: u32(8),
  protocol: u32(12),
  remote_ip4: u32(16),
  'remote_ip6[0]': u32(20),
  'remote_ip6[1]': u32(24),
  'remote_ip6[2]': u32(28),
  'remote_ip6[3]': u32(32),
  remote_port: contextField(36, 2),
  local_ip4: u32(40),
  'local_ip6[0]': u32(44),
  'local_ip6[1]': u32(48),
  'local_ip6[2]': u32(52),
  'local_ip6[3]': u32(56),
  local_port: u32(60),
  ingress_ifindex: u32(64),
} as const satisfies Record<string, ContextField>;

/** The names of `struct bpf_sk_lookup`'s fields (IPv6 words as `local_ip6[0]` …). */
export type SkLookupField = keyof typeof SK_LOOKUP_FIELDS;

/** The `struct bpf_sk_lookup` layout type. */
export type SkLookupContext = ContextLayout<SkLookupField>;

/** `struct bpf_sk_lookup`: the context of sk_lookup programs, 72 bytes. */
export const SK_LOOKUP: SkLookupContext = Object.freeze({
  type: 'struct bpf_sk_lookup',
  size: 72,
  fields: Object.freeze(SK_LOOKUP_FIELDS),
});

/**
 * The byte order of each scalar field of {@link SK_LOOKUP} as loaded into a register (see
 * there). `sk` is a pointer and has none.
 */
export const SK_LOOKUP_BYTE_ORDER: Readonly<Record<Exclude<SkLookupField, 'sk'>, FieldByteOrder>> =
  Object.freeze({
    family: 'host',
    protocol: 'host',
    remote_ip4: 'network',
    'remote_ip6[0]': 'network',
    'remote_ip6[1]': 'network',
    'remote_ip6[2]': 'network',
    'remote_ip6[3]': 'network',
    remote_port: 'network',
    local_ip4: 'network',
    'local_ip6[0]': 'network',
    'local_ip6[1]': 'network',
    'local_ip6[2]': 'network',
    'local_ip6[3]': 'network',
    local_port: 'host',
    ingress_ifindex: 'host',
  });
