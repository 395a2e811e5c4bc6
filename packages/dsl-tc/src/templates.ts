import {
  add,
  and,
  atomic,
  type Fragment,
  ja,
  jeq,
  type LabelScope,
  labelScope,
  ldMapValue,
  ldx,
  type MapRef,
  mark,
  mov,
  or,
  R1,
  R2,
  R3,
  R4,
  R5,
  R7,
  returnCode,
  stx,
  sub,
} from '@ts-ebpf/dsl';
import {
  EtherType,
  ensure,
  ethernet,
  IpProto,
  Ipv4,
  ipv4,
  ipv6,
  type PacketCursor,
  tcp,
  udp,
} from '@ts-ebpf/dsl-packet';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { TcAction } from './action.js';
import { TC_CTX, TC_SK_BUFF } from './context.js';
import { TcArgumentError } from './errors.js';
import { loadSkbPointers, tcCursor } from './packet.js';
import { l3CsumReplace } from './skb.js';

/**
 * Byte offsets of the counters in the one 32-byte value of the array map that
 * {@link TC_TEMPLATES}`.counters` adds to: four native-order u64s.
 */
export const TC_COUNTERS_LAYOUT = Object.freeze({
  ingressPackets: 0,
  ingressBytes: 8,
  egressPackets: 16,
  egressBytes: 24,
  size: 32,
});

/** Options of the `counters` template. */
export interface CountersOptions {
  /** An array map with one 32-byte value ({@link TC_COUNTERS_LAYOUT}); its value is addressed directly. */
  readonly map: MapRef;
  /** Which pair of counters this program adds to (the hook it will be attached to). */
  readonly direction: 'ingress' | 'egress';
}

/** Options of the `portFilter` template. */
export interface PortFilterOptions {
  /** Destination ports whose packets are dropped (1–65535). */
  readonly ports: readonly number[];
  /** Which L4 protocols the ports are for, at least one (default both). */
  readonly protocols?: readonly ('tcp' | 'udp')[];
  /** The byte order of the program (the target kernel's: `HOST_BYTE_ORDER`). */
  readonly byteOrder: ByteOrder;
}

/** Options of the `dscpMark` template. */
export interface DscpMarkOptions {
  /** The DSCP to set (0–63), e.g. 46 for Expedited Forwarding. */
  readonly dscp: number;
  /** The byte order of the program. */
  readonly byteOrder: ByteOrder;
}

/**
 * Loads the packet pointers, parses Ethernet (`ethCode`, EtherType in R3) and goes to the
 * labels `v4` or `v6` of `label`, or to `pass` for any other protocol.
 */
function ipDispatch(c: PacketCursor, ethCode: Fragment, label: LabelScope, pass: string): Fragment {
  return [
    loadSkbPointers(c),
    ethCode,
    jeq(R3, EtherType.IPV6, label('v6')),
    jeq(R3, EtherType.IPV4, label('v4')),
    ja(pass),
  ];
}

function counters(o: CountersOptions): Fragment {
  if (o.direction !== 'ingress' && o.direction !== 'egress')
    throw new TcArgumentError(
      'counters direction',
      `${JSON.stringify(o.direction)} is not 'ingress' or 'egress'`,
    );
  const at = o.direction === 'ingress' ? TC_COUNTERS_LAYOUT.ingressPackets : TC_COUNTERS_LAYOUT.egressPackets;
  return [
    ldMapValue(R1, o.map, at),
    mov(R2, 1),
    atomic('add', 'dw', R1, R2, 0),
    ldx('w', R2, TC_CTX, TC_SK_BUFF.fields.len.offset),
    atomic('add', 'dw', R1, R2, 8),
    returnCode(TcAction.OK, 'template counters'),
  ];
}

function checkPorts(ports: readonly number[]): void {
  if (!Array.isArray(ports) || ports.length === 0)
    throw new TcArgumentError('portFilter ports', 'give at least one port');
  for (const p of ports)
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      throw new TcArgumentError('portFilter ports', `${p} is not a port (1–65535)`);
}

function portFilter(o: PortFilterOptions): Fragment {
  checkPorts(o.ports);
  const protocols = o.protocols ?? ['tcp', 'udp'];
  if (!Array.isArray(protocols) || protocols.length === 0)
    throw new TcArgumentError(
      'portFilter protocols',
      "give 'tcp', 'udp' or both (no protocol would drop nothing)",
    );
  for (const p of protocols)
    if (p !== 'tcp' && p !== 'udp')
      throw new TcArgumentError('portFilter protocols', `${JSON.stringify(p)} is not 'tcp' or 'udp'`);
  const c = tcCursor(o.byteOrder);
  const label = labelScope();
  const pass = label('pass');
  const drop = label('drop');
  const miss = pass;
  const eth = ethernet(c, c.start, { etherType: R3, miss });
  // A fragment other than the first has no L4 header (no port): it passes.
  const v4 = ipv4(c, eth.next, { protocol: R4, miss, laterFragments: pass });
  const v6 = ipv6(c, eth.next, { nextHeader: R4, miss, laterFragments: pass });
  const l4 = v4.next; // both IP parsers leave the L4 header in cursor.pos
  const code: Fragment[number][] = [
    ipDispatch(c, eth.code, label, pass),
    mark(label('v4')),
    v4.code,
    ja(label('l4')),
    mark(label('v6')),
    v6.code,
    mark(label('l4')),
  ];
  for (const p of protocols) code.push(jeq(R4, p === 'tcp' ? IpProto.TCP : IpProto.UDP, label(p)));
  code.push(ja(pass));
  for (const p of protocols) {
    const parser = p === 'tcp' ? tcp : udp;
    code.push(mark(label(p)), parser(c, l4, { destinationPort: R5, miss }).code, ja(label('ports')));
  }
  code.push(mark(label('ports')));
  for (const port of o.ports) code.push(jeq(R5, port, drop));
  code.push(
    mark(pass),
    returnCode(TcAction.OK, 'template portFilter'),
    mark(drop),
    returnCode(TcAction.SHOT, 'template portFilter'),
  );
  return code;
}

function dscpMark(o: DscpMarkOptions): Fragment {
  if (!Number.isInteger(o.dscp) || o.dscp < 0 || o.dscp > 63)
    throw new TcArgumentError('dscpMark dscp', `${o.dscp} is not a DSCP (0–63)`);
  const c = tcCursor(o.byteOrder);
  const label = labelScope();
  const pass = label('pass');
  const eth = ethernet(c, c.start, { etherType: R3, miss: pass });
  const ip = eth.next;
  const v4 = ipv4(c, ip, { miss: pass, options: false });
  return [
    ipDispatch(c, eth.code, label, pass),
    // IPv4: TOS = dscp << 2 | ECN, then fix the header checksum from the 16-bit word that changed.
    mark(label('v4')),
    v4.code,
    ldx('h', R3, ip.base, ip.offset + Ipv4.VERSION_IHL),
    ldx('b', R4, ip.base, ip.offset + Ipv4.TOS),
    and(R4, 0x03),
    or(R4, o.dscp << 2),
    stx('b', ip.base, R4, ip.offset + Ipv4.TOS),
    ldx('h', R4, ip.base, ip.offset + Ipv4.VERSION_IHL),
    mov(R2, ip.base),
    sub(R2, R7),
    add(R2, ip.offset + Ipv4.CHECK),
    l3CsumReplace({ offset: R2, from: R3, to: R4, size: 2, onFailure: TcAction.SHOT }),
    ja(pass),
    // IPv6: the traffic class spans the low nibble of byte 0 and the high nibble of byte 1.
    mark(label('v6')),
    ensure(c, ip, 2, pass),
    ldx('b', R3, ip.base, ip.offset),
    and(R3, 0xf0),
    or(R3, o.dscp >> 2),
    stx('b', ip.base, R3, ip.offset),
    ldx('b', R3, ip.base, ip.offset + 1),
    and(R3, 0x3f),
    or(R3, (o.dscp & 3) << 6),
    stx('b', ip.base, R3, ip.offset + 1),
    mark(pass),
    returnCode(TcAction.OK, 'template dscpMark'),
  ];
}

/**
 * Ready-made tc programs (bodies for `tc().build(...)`), the tc plugin's templates. Each one
 * ends in its own `exit`.
 */
export const TC_TEMPLATES = Object.freeze({
  /** Passes every packet (TC_ACT_OK). */
  passAll: (): Fragment => returnCode(TcAction.OK, 'template passAll'),
  /** Drops every packet (TC_ACT_SHOT). */
  dropAll: (): Fragment => returnCode(TcAction.SHOT, 'template dropAll'),
  /**
   * Counts packets and bytes (`skb->len`) of one direction into an array map with one
   * {@link TC_COUNTERS_LAYOUT} value, atomically, and passes the packet: attach one program
   * built with `direction: 'ingress'` on tcx ingress and one with `'egress'` on egress.
   */
  counters,
  /**
   * Drops IPv4 and IPv6 (after up to two VLAN tags, IPv4 options, four IPv6 extension
   * headers) TCP and/or UDP packets to one of `ports`; passes everything else, short
   * frames included, and fragments other than the first (they carry no port; the first
   * one, with the L4 header, is matched).
   */
  portFilter,
  /**
   * Sets the DSCP of IPv4 (the header checksum fixed with `bpf_l3_csum_replace`; a packet
   * whose checksum cannot be fixed is dropped) and IPv6 packets, keeping the ECN bits; passes
   * every packet.
   */
  dscpMark,
});
