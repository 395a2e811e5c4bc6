import {
  add,
  call,
  type Fragment,
  fragment,
  jeq,
  jne,
  ldMapFd,
  type MapRef,
  mark,
  mov,
  R0,
  R1,
  R2,
  R4,
  R10,
  returnCode,
  st,
  stx,
} from '@ts-ebpf/dsl';
import { EtherType, ethernet, ipv4 } from '@ts-ebpf/dsl-packet';
import { BpfMapType, XdpAction } from '@ts-ebpf/uapi';
import { XdpArgumentError } from '../errors.js';
import { loadXdpPointers, type TemplateByteOrder, templateCursor } from './common.js';
import { checkMapShape } from './map-shape.js';

/** What chose the codes this template returns, for the section's check. */
const TEMPLATE = 'template ipv4Blocklist';

/** Options of {@link ipv4Blocklist}. */
export interface Ipv4BlocklistOptions extends TemplateByteOrder {
  /**
   * An LPM trie (`BPF_MAP_TYPE_LPM_TRIE`, `BPF_F_NO_PREALLOC`) with 8-byte keys
   * `{ u32 prefixlen (host order); u8 addr[4] (network order) }` and any value: a packet
   * whose address falls in one of its prefixes is dropped.
   */
  readonly map: MapRef;
  /** Which address to look up. Default `'source'`. */
  readonly address?: 'source' | 'destination';
}

/**
 * Drops IPv4 packets whose source (or destination) address matches a prefix of an LPM trie;
 * passes everything else (IPv6 and non-IP frames included). The key is built on the stack:
 * prefix length 32 and the address as the packet holds it.
 * @throws XdpArgumentError for an `address` other than the two, or a map object that says it
 * is not an LPM trie with 8-byte keys (its lookups would match nothing)
 */
export const ipv4Blocklist: (o: Ipv4BlocklistOptions) => Fragment = fragment(
  (label, o: Ipv4BlocklistOptions) => {
    const which = o.address ?? 'source';
    if (which !== 'source' && which !== 'destination')
      throw new XdpArgumentError('address', `${JSON.stringify(which)} is not 'source' or 'destination'`);
    checkMapShape(o.map, 'ipv4Blocklist map', { types: [BpfMapType.LPM_TRIE], keySize: 8 });
    const c = templateCursor(o.byteOrder);
    const pass = label('pass');
    const eth = ethernet(c, c.start, { etherType: R2, miss: pass });
    const ip = ipv4(c, eth.next, { [which]: R4, miss: pass, options: false });
    return [
      loadXdpPointers(c),
      eth.code,
      jne(R2, EtherType.IPV4, pass),
      ip.code,
      st('w', R10, -8, 32), // prefixlen
      stx('w', R10, R4, -4), // the address, network order
      ldMapFd(R1, o.map),
      mov(R2, R10),
      add(R2, -8),
      call('map_lookup_elem'),
      jeq(R0, 0, pass),
      returnCode(XdpAction.DROP, TEMPLATE),
      mark(pass),
      returnCode(XdpAction.PASS, TEMPLATE),
    ];
  },
);
