import { type Fragment, fragment, jeq, mark, R3, returnCode } from '@ts-ebpf/dsl';
import { XdpAction } from '@ts-ebpf/uapi';
import { checkList, loadXdpPointers, perIpFamily, type TemplateByteOrder, templateCursor } from './common.js';

/** What chose the codes this template returns, for the section's check. */
const TEMPLATE = 'template dropByProtocol';

/** Options of {@link dropByProtocol}. */
export interface DropByProtocolOptions extends TemplateByteOrder {
  /** IP protocol numbers to drop (`IpProto.ICMP`, `IpProto.UDP` …), for IPv4 and IPv6 alike. */
  readonly protocols: readonly number[];
}

/**
 * Drops IPv4 and IPv6 packets whose protocol (IPv4 `protocol`, IPv6 next header after up to
 * four extension headers) is one of `protocols`; passes everything else, non-IP frames and
 * frames too short for their headers included.
 */
export const dropByProtocol: (o: DropByProtocolOptions) => Fragment = fragment(
  (label, o: DropByProtocolOptions) => {
    const protocols = checkList(o.protocols, 'protocols', 0, 255);
    const c = templateCursor(o.byteOrder);
    return [
      loadXdpPointers(c),
      perIpFamily(c, label, { protocol: R3, other: label('pass') }, () => [
        protocols.map((p) => jeq(R3, p, label('drop'))),
        returnCode(XdpAction.PASS, TEMPLATE),
      ]),
      mark(label('drop')),
      returnCode(XdpAction.DROP, TEMPLATE),
      mark(label('pass')),
      returnCode(XdpAction.PASS, TEMPLATE),
    ];
  },
);
