import type { Fragment, Register } from '@ts-ebpf/dsl';
import {
  checkMiss,
  checkParser,
  ensure,
  type Miss,
  type PacketCursor,
  type PacketPosition,
  type Parsed,
  skipWordCount,
} from './cursor.js';
import { checkOrder, loadField, type ValueOrder } from './fields.js';
import { Icmp, Icmpv6, Tcp, Udp } from './layout.js';

/** Options shared by the port-carrying parsers. */
export interface PortOptions {
  /** Receives the source port. */
  readonly sourcePort?: Register;
  /** Receives the destination port. */
  readonly destinationPort?: Register;
  /** Order of the ports: `'host'` (default, numeric) or `'network'` (as in the packet; no swap). */
  readonly order?: ValueOrder;
  /** Where a packet too short for the header goes. */
  readonly miss: Miss;
}

/** Options of {@link tcp}. */
export interface TcpOptions extends PortOptions {
  /** Receives the flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20 …). */
  readonly flags?: Register;
  /**
   * Step over the options by the data offset (default false): the next position is the
   * payload, held in `cursor.pos`, and a data offset below 5 goes to `invalid`. Without it
   * the next position is `at + 20`, where options begin.
   */
  readonly payload?: boolean;
  /** Where a data offset below 5 goes (default: `miss`). */
  readonly invalid?: Miss;
}

/** Options of {@link icmp} and {@link icmpv6}. */
export interface IcmpOptions {
  /** Receives the message type. */
  readonly type?: Register;
  /** Receives the code. */
  readonly code?: Register;
  /** Where a packet too short for the 8-byte header goes. */
  readonly miss: Miss;
}

function fixedHeader(
  c: PacketCursor,
  at: PacketPosition,
  what: string,
  size: number,
  miss: Miss,
  fields: readonly [Register | undefined, number, 1 | 2, ValueOrder][],
): Fragment[number][] {
  checkParser(
    c,
    what,
    at,
    size,
    miss,
    fields.map((f) => f[0]),
  );
  const code: Fragment[number][] = [ensure(c, at, size, miss, `${what} option miss`)];
  for (const [dst, field, bytes, order] of fields)
    if (dst !== undefined) code.push(loadField(dst, { at, field, bytes }, order));
  return code;
}

function ports(what: string, o: PortOptions): [Register | undefined, number, 1 | 2, ValueOrder][] {
  const order = checkOrder(o.order ?? 'host', `${what} option 'order'`);
  return [
    [o.sourcePort, 0, 2, order],
    [o.destinationPort, 2, 2, order],
  ];
}

/**
 * Parses a TCP header at `at`: bounds check of 20 bytes, ports, flags; with `payload`, the
 * data offset.
 * @throws PacketDslError for bad options
 */
export function tcp(c: PacketCursor, at: PacketPosition, o: TcpOptions): Parsed {
  const code = fixedHeader(c, at, 'tcp', Tcp.SIZE, o.miss, [
    ...ports('tcp', o),
    [o.flags, Tcp.FLAGS, 1, 'host'],
  ]);
  if (o.invalid !== undefined) checkMiss(o.invalid, 'tcp option invalid');
  if (!o.payload) return { code, next: { base: at.base, offset: at.offset + Tcp.SIZE } };
  code.push(skipWordCount(c, at, Tcp.DOFF, 'high', o, 'tcp'));
  return { code, next: { base: c.pos, offset: 0 } };
}

/**
 * Parses a UDP header at `at`: bounds check of 8 bytes, ports. The next position is the payload.
 * @throws PacketDslError for bad options
 */
export function udp(c: PacketCursor, at: PacketPosition, o: PortOptions): Parsed {
  const code = fixedHeader(c, at, 'udp', Udp.SIZE, o.miss, ports('udp', o));
  return { code, next: { base: at.base, offset: at.offset + Udp.SIZE } };
}

/**
 * Parses an ICMP header at `at`: bounds check of 8 bytes, type and code.
 * @throws PacketDslError for bad options
 */
export function icmp(c: PacketCursor, at: PacketPosition, o: IcmpOptions): Parsed {
  const code = fixedHeader(c, at, 'icmp', Icmp.SIZE, o.miss, [
    [o.type, Icmp.TYPE, 1, 'host'],
    [o.code, Icmp.CODE, 1, 'host'],
  ]);
  return { code, next: { base: at.base, offset: at.offset + Icmp.SIZE } };
}

/**
 * Parses an ICMPv6 header at `at`: bounds check of 8 bytes (`struct icmp6hdr`), type and code.
 * @throws PacketDslError for bad options
 */
export function icmpv6(c: PacketCursor, at: PacketPosition, o: IcmpOptions): Parsed {
  const code = fixedHeader(c, at, 'icmpv6', Icmpv6.SIZE, o.miss, [
    [o.type, Icmpv6.TYPE, 1, 'host'],
    [o.code, Icmpv6.CODE, 1, 'host'],
  ]);
  return { code, next: { base: at.base, offset: at.offset + Icmpv6.SIZE } };
}
