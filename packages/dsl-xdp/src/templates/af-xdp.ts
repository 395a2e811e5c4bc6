import { exit, type Fragment, fragment, jne, type MapRef, mark, R3, R4, returnCode } from '@ts-ebpf/dsl';
import { IpProto, udp } from '@ts-ebpf/dsl-packet';
import { XdpAction } from '@ts-ebpf/uapi';
import { type XdpActionLike, xdpActionCode } from '../action.js';
import { redirectToXsk } from '../redirect.js';
import { checkList, loadXdpPointers, perIpFamily, type TemplateByteOrder, templateCursor } from './common.js';

/** What chose the codes this template returns, for the section's check. */
const TEMPLATE = 'template afXdpRedirect';

/** Options of {@link afXdpRedirect}. */
export interface AfXdpRedirectOptions extends TemplateByteOrder {
  /** An xskmap whose slot `q` holds the AF_XDP socket of receive queue `q`. */
  readonly map: MapRef;
  /**
   * Redirect only UDP datagrams (IPv4 or IPv6) to this destination port; everything else
   * (ARP, other traffic) passes to the stack. Default: redirect every frame. A fragment other
   * than the first has no UDP header and passes to the stack, so a fragmented datagram is
   * split: its first fragment (with the header) is redirected, the later ones are not.
   */
  readonly udpPort?: number;
  /** What a frame gets when its queue has no socket in the map. Default XDP_PASS. */
  readonly fallback?: XdpActionLike;
}

/**
 * Redirects frames into the AF_XDP socket of their receive queue (`ctx->rx_queue_index` as the
 * xskmap key), optionally only UDP datagrams to one port, with a fallback action when the
 * queue has no socket.
 */
export const afXdpRedirect: (o: AfXdpRedirectOptions) => Fragment = fragment(
  (label, o: AfXdpRedirectOptions) => {
    const fallback = xdpActionCode(o.fallback ?? XdpAction.PASS, 'AF_XDP fallback');
    const redirect = [redirectToXsk(o.map, { fallback }), exit()];
    if (o.udpPort === undefined) return redirect;
    const [port] = checkList([o.udpPort], 'udpPort', 0, 0xffff);
    const c = templateCursor(o.byteOrder);
    const pass = label('pass');
    return [
      loadXdpPointers(c),
      perIpFamily(c, label, { protocol: R3, other: pass, laterFragments: pass }, (_family, l4) => {
        const u = udp(c, l4, { destinationPort: R4, miss: pass });
        return [jne(R3, IpProto.UDP, pass), u.code, jne(R4, port!, pass), redirect];
      }),
      mark(pass),
      returnCode(XdpAction.PASS, TEMPLATE),
    ];
  },
);
