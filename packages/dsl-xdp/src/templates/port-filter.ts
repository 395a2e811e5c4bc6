import { type Fragment, fragment, jeq, jne, mark, R3, R4, returnCode } from '@ts-ebpf/dsl';
import { IpProto, tcp, udp } from '@ts-ebpf/dsl-packet';
import { XdpAction } from '@ts-ebpf/uapi';
import { type XdpActionLike, xdpVerdictCode } from '../action.js';
import { XdpArgumentError } from '../errors.js';
import { checkList, loadXdpPointers, perIpFamily, type TemplateByteOrder, templateCursor } from './common.js';

/** What chose the codes this template returns, for the section's check. */
const TEMPLATE = 'template portFilter';

/** Options of {@link portFilter}. */
export interface PortFilterOptions extends TemplateByteOrder {
  /** Destination ports to act on. */
  readonly ports: readonly number[];
  /** Transport protocols the ports are of. Default both. */
  readonly protocols?: readonly ('tcp' | 'udp')[];
  /** What to do with a matching packet: XDP_DROP (the default), XDP_PASS, XDP_TX or XDP_ABORTED. */
  readonly action?: XdpActionLike;
}

/**
 * Applies `action` (default XDP_DROP) to TCP and/or UDP packets, over IPv4 or IPv6, whose
 * destination port is one of `ports`; passes everything else. A fragment other than the
 * first has no port (no L4 header) and passes; the first one, with the header, is matched.
 */
export const portFilter: (o: PortFilterOptions) => Fragment = fragment((label, o: PortFilterOptions) => {
  const ports = checkList(o.ports, 'ports', 0, 0xffff);
  const protocols = o.protocols ?? ['tcp', 'udp'];
  if (protocols.length === 0 || protocols.some((p) => p !== 'tcp' && p !== 'udp')) {
    throw new XdpArgumentError('protocols', `expected 'tcp' and/or 'udp', got ${JSON.stringify(protocols)}`);
  }
  const action = xdpVerdictCode(o.action ?? XdpAction.DROP, 'port filter action');
  const c = templateCursor(o.byteOrder);
  const pass = label('pass');
  return [
    loadXdpPointers(c),
    perIpFamily(c, label, { protocol: R3, other: pass, laterFragments: pass }, (_family, l4) => {
      const parsers = { tcp: [tcp, IpProto.TCP], udp: [udp, IpProto.UDP] } as const;
      return protocols
        .map((name) => {
          const [parse, number] = parsers[name];
          const parsed = parse(c, l4, { destinationPort: R4, miss: pass });
          const skip = label(`not_${name}_${_family}`);
          return [
            jne(R3, number, skip),
            parsed.code,
            ports.map((port) => jeq(R4, port, label('match'))),
            returnCode(XdpAction.PASS, TEMPLATE),
            mark(skip),
          ];
        })
        .concat([returnCode(XdpAction.PASS, TEMPLATE)]);
    }),
    mark(label('match')),
    returnCode(action, 'port filter action'),
    mark(pass),
    returnCode(XdpAction.PASS, TEMPLATE),
  ];
});
