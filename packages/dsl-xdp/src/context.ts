import { type ContextField, type ContextLayout, contextField } from '@ts-ebpf/dsl';

/** Sections whose programs run from a devmap entry, the only ones that may read `egress_ifindex`. */
export const DEVMAP_SECTIONS: readonly string[] = Object.freeze(['xdp/devmap', 'xdp.frags/devmap']);

/**
 * `struct xdp_md` (linux/bpf.h), as the kernel's `xdp_is_valid_access` lets programs use it:
 * every field is read-only; `data`, `data_end` and `data_meta` load as packet pointers;
 * `egress_ifindex` is readable only by programs run from a devmap (`xdp/devmap`).
 */
const XDP_MD_FIELDS = {
  data: contextField(0, 4, { kind: 'packet' }),
  data_end: contextField(4, 4, { kind: 'packet_end' }),
  data_meta: contextField(8, 4, { kind: 'packet_meta' }),
  ingress_ifindex: contextField(12, 4),
  rx_queue_index: contextField(16, 4),
  egress_ifindex: contextField(20, 4, { read: DEVMAP_SECTIONS }),
} as const satisfies Record<string, ContextField>;

/** The names of `struct xdp_md`'s fields. */
export type XdpMdField = keyof typeof XDP_MD_FIELDS;

/** The `struct xdp_md` layout type. */
export type XdpMdContext = ContextLayout<XdpMdField>;

/** `struct xdp_md`: the context of XDP programs, 24 bytes. */
export const XDP_MD: XdpMdContext = Object.freeze({
  type: 'struct xdp_md',
  size: 24,
  fields: Object.freeze(XDP_MD_FIELDS),
});
