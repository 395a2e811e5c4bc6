import { type Fragment, fragment, ldx, mark, R1, R2, R3, R4, returnCode, stx } from '@ts-ebpf/dsl';
import { Eth, ensure } from '@ts-ebpf/dsl-packet';
import { XdpAction } from '@ts-ebpf/uapi';
import { type XdpActionLike, xdpVerdictCode } from '../action.js';
import { loadXdpPointers, type TemplateByteOrder, templateCursor } from './common.js';

/** What chose the codes this template returns, for the section's check. */
const TEMPLATE = 'template macSwapTx';

/** Options of {@link macSwapTx}. */
export interface MacSwapOptions extends TemplateByteOrder {
  /** What a frame shorter than an Ethernet header gets: XDP_DROP (the default), XDP_PASS, XDP_TX or XDP_ABORTED. */
  readonly short?: XdpActionLike;
}

/**
 * Swaps the Ethernet source and destination addresses and returns XDP_TX: every frame goes
 * back out of the interface it came in on, to its sender (a reflector).
 */
export const macSwapTx: (o: MacSwapOptions) => Fragment = fragment((label, o: MacSwapOptions) => {
  const short = xdpVerdictCode(o.short ?? XdpAction.DROP, 'short-frame action');
  const c = templateCursor(o.byteOrder);
  const d = c.data;
  return [
    loadXdpPointers(c),
    ensure(c, c.start, Eth.SIZE, label('short')),
    // destination: a 4-byte and a 2-byte word; source likewise
    ldx('w', R1, d, Eth.DEST),
    ldx('h', R2, d, Eth.DEST + 4),
    ldx('w', R3, d, Eth.SOURCE),
    ldx('h', R4, d, Eth.SOURCE + 4),
    stx('w', d, R3, Eth.DEST),
    stx('h', d, R4, Eth.DEST + 4),
    stx('w', d, R1, Eth.SOURCE),
    stx('h', d, R2, Eth.SOURCE + 4),
    returnCode(XdpAction.TX, TEMPLATE),
    mark(label('short')),
    returnCode(short, 'short-frame action'),
  ];
});
