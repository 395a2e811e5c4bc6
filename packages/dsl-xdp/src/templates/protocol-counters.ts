import {
  add,
  atomic,
  call,
  type Fragment,
  fragment,
  ja,
  jeq,
  ldMapFd,
  type MapRef,
  mark,
  mov,
  R0,
  R1,
  R2,
  R3,
  R10,
  returnCode,
  stx,
} from '@ts-ebpf/dsl';
import { BpfMapType, XdpAction } from '@ts-ebpf/uapi';
import { loadXdpPointers, perIpFamily, type TemplateByteOrder, templateCursor } from './common.js';
import { checkMapShape } from './map-shape.js';

/** What chose the codes this template returns, for the section's check. */
const TEMPLATE = 'template protocolCounters';

/** The counter key of frames that are not IPv4 or IPv6 (or too short for their IP header). */
export const PROTOCOL_COUNTER_OTHER = 256;

/** Options of {@link protocolCounters}. */
export interface ProtocolCountersOptions extends TemplateByteOrder {
  /**
   * An array or per-CPU array map with u32 keys, u64 values and at least 257 entries: entry
   * `p` counts IPv4/IPv6 packets of protocol `p` (IPv6: the next header after the extension
   * headers), entry {@link PROTOCOL_COUNTER_OTHER} every other frame.
   */
  readonly map: MapRef;
}

/**
 * Counts every frame by IP protocol in an array map, then passes it. The counter is added
 * atomically, so a shared (not per-CPU) array counts correctly too.
 * @throws XdpArgumentError when the map object says it is not an array or per-CPU array of
 * 8-byte values with 4-byte keys and at least 257 entries (it would count nothing, or not
 * every protocol, without a word)
 */
export const protocolCounters: (o: ProtocolCountersOptions) => Fragment = fragment(
  (label, o: ProtocolCountersOptions) => {
    checkMapShape(o.map, 'protocolCounters map', {
      types: [BpfMapType.ARRAY, BpfMapType.PERCPU_ARRAY],
      keySize: 4,
      valueSize: 8,
      minEntries: PROTOCOL_COUNTER_OTHER + 1,
    });
    const c = templateCursor(o.byteOrder);
    const count = label('count');
    return [
      loadXdpPointers(c),
      perIpFamily(c, label, { protocol: R3, other: label('other') }, () => [mov(R1, R3), ja(count)]),
      mark(label('other')),
      mov(R1, PROTOCOL_COUNTER_OTHER),
      mark(count),
      stx('w', R10, R1, -4),
      ldMapFd(R1, o.map),
      mov(R2, R10),
      add(R2, -4),
      call('map_lookup_elem'),
      jeq(R0, 0, label('done')),
      mov(R1, 1),
      atomic('add', 'dw', R0, R1, 0),
      mark(label('done')),
      returnCode(XdpAction.PASS, TEMPLATE),
    ];
  },
);
