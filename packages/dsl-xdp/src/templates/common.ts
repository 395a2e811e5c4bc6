import {
  type Fragment,
  jeq,
  jne,
  type LabelScope,
  mark,
  R2,
  R5,
  R7,
  R8,
  R9,
  type Register,
} from '@ts-ebpf/dsl';
import {
  EtherType,
  ethernet,
  ipv4,
  ipv6,
  loadPacketPointers,
  type PacketCursor,
  type PacketPosition,
  packetCursor,
} from '@ts-ebpf/dsl-packet';
import { type ByteOrder, byteOrderMistake } from '@ts-ebpf/uapi';
import { XDP_CTX, XDP_MD } from '../context.js';
import { XdpArgumentError } from '../errors.js';

/** Options every parsing template takes. */
export interface TemplateByteOrder {
  /** Byte order of the kernel the program is for (`HOST_BYTE_ORDER` for this machine). */
  readonly byteOrder: ByteOrder;
}

/**
 * The cursor of the templates: packet start in R7, end in R8, position in R9 (all three kept
 * across helper calls), scratch R5. The context stays in {@link XDP_CTX} (R6).
 * @throws XdpArgumentError for a byte order that is not one (a template called without it)
 */
export function templateCursor(byteOrder: ByteOrder): PacketCursor {
  // Checked here, where the caller's option is named: the cursor's own check names the cursor.
  const mistake = byteOrderMistake(byteOrder);
  if (mistake !== undefined) throw new XdpArgumentError('template byteOrder', mistake);
  return packetCursor({ data: R7, end: R8, pos: R9, scratch: R5, byteOrder });
}

/** Loads `data` / `data_end` of the `xdp_md` in {@link XDP_CTX} into the cursor. */
export function loadXdpPointers(c: PacketCursor): Fragment {
  return loadPacketPointers(c, XDP_CTX, {
    data: XDP_MD.fields.data.offset,
    dataEnd: XDP_MD.fields.data_end.offset,
  });
}

/** Options of {@link perIpFamily}. */
export interface PerIpFamilyOptions {
  /** Receives the IPv4 protocol, or the IPv6 next header after the extension headers. */
  readonly protocol: Register;
  /** Where non-IP frames and frames too short for their headers go. */
  readonly other: string;
  /** IPv6 extension headers stepped over (default 4). */
  readonly ipv6Extensions?: number;
  /**
   * Where fragments other than the first go (they have no L4 header): give it when `body`
   * reads the L4 header; without it they reach `body` (their protocol is still the L4 one).
   */
  readonly laterFragments?: string;
}

/**
 * Parses Ethernet (two VLAN tags) and then IPv4 or IPv6, and emits `body` once per family with
 * the position of the layer-4 header; `body` must end in a jump or an exit (it must not fall
 * through). The etherType goes through R2. Labels are taken from `label`.
 */
export function perIpFamily(
  c: PacketCursor,
  label: LabelScope,
  o: PerIpFamilyOptions,
  body: (family: 'ipv4' | 'ipv6', l4: PacketPosition) => Fragment,
): Fragment {
  const eth = ethernet(c, c.start, { etherType: R2, miss: o.other });
  const later = o.laterFragments === undefined ? {} : { laterFragments: o.laterFragments };
  const v4 = ipv4(c, eth.next, { protocol: o.protocol, miss: o.other, ...later });
  const v6 = ipv6(c, eth.next, {
    nextHeader: o.protocol,
    extensions: o.ipv6Extensions ?? 4,
    miss: o.other,
    ...later,
  });
  return [
    eth.code,
    jeq(R2, EtherType.IPV6, label('ipv6')),
    jne(R2, EtherType.IPV4, o.other),
    v4.code,
    body('ipv4', v4.next),
    mark(label('ipv6')),
    v6.code,
    body('ipv6', v6.next),
  ];
}

/** Checks a list of integers in [min, max] (ports, protocol numbers) for a template option. */
export function checkList(
  values: readonly number[],
  name: string,
  min: number,
  max: number,
): readonly number[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new XdpArgumentError(name, 'expected a non-empty array');
  }
  for (const v of values) {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new XdpArgumentError(name, `${v} is not an integer in [${min}, ${max}]`);
    }
  }
  return values;
}
