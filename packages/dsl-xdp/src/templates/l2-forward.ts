import { exit, type Fragment, ldx, type MapRef, R2 } from '@ts-ebpf/dsl';
import { XdpAction } from '@ts-ebpf/uapi';
import { type XdpActionLike, xdpActionCode } from '../action.js';
import { XDP_CTX, XDP_MD } from '../context.js';
import { redirectToDevmap } from '../redirect.js';

/** Options of {@link l2Forward}. */
export interface L2ForwardOptions {
  /**
   * A devmap_hash (or a devmap large enough for the ifindexes) mapping the ingress interface's
   * index to the egress interface: every frame received on an interface of the map leaves
   * unchanged through the interface its entry names.
   */
  readonly map: MapRef;
  /** What a frame from an interface without an entry gets. Default XDP_PASS. */
  readonly fallback?: XdpActionLike;
}

/**
 * Layer-2 forwarding through a devmap: the frame leaves, unchanged, through the interface the
 * map holds for `ctx->ingress_ifindex` (a cross-connect of interface pairs, or a hairpin).
 */
export function l2Forward(o: L2ForwardOptions): Fragment {
  const fallback = xdpActionCode(o.fallback ?? XdpAction.PASS, 'L2 forward fallback');
  return [
    ldx('w', R2, XDP_CTX, XDP_MD.fields.ingress_ifindex.offset),
    redirectToDevmap(o.map, R2, { fallback }),
    exit(),
  ];
}
