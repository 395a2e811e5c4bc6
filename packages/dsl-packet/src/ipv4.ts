import { type Fragment, ldx, type Register } from '@ts-ebpf/dsl';
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
import { laterFragmentCheck } from './fragment.js';
import { Ipv4 } from './layout.js';

/** The fragment offset bits of the IPv4 `frag_off` field (the low 13; the top three are flags). */
const FRAGMENT_OFFSET = 0x1fff;

/** Options of {@link ipv4}. */
export interface Ipv4Options {
  /** Receives the protocol byte (`IpProto.*`). */
  readonly protocol?: Register;
  /** Receives the source address as the packet holds it (network order; store it to get the bytes). */
  readonly source?: Register;
  /** Receives the destination address, network order. */
  readonly destination?: Register;
  /**
   * Honour the IHL (default true): options are stepped over, the next position is in
   * `cursor.pos`, and an IHL below 5 goes to `invalid`. With false the header is taken as
   * 20 bytes (the next position stays constant): only for traffic known to carry no options.
   */
  readonly options?: boolean;
  /** Where a packet too short for the header (with its options) goes. */
  readonly miss: Miss;
  /** Where an IHL below 5 goes (default: `miss`). */
  readonly invalid?: Miss;
  /**
   * Where a fragment other than the first goes (a non-zero fragment offset): it carries a
   * later part of the L4 payload and no L4 header. Give it whenever the code after this
   * parser reads the L4 header at `next`. Without it such a fragment falls through like any
   * packet, and `next` then points at payload bytes, not at a TCP or UDP header.
   */
  readonly laterFragments?: Miss;
}

/**
 * Parses an IPv4 header at `at`: bounds check of the fixed 20 bytes, the requested fields,
 * with `laterFragments` the fragment offset, then (by default) the variable IHL:
 * `pos = at + ihl * 4`, with IHL < 5 refused. The L4 header's own bounds check covers the options'
 * end. `next` is the L4 header of an unfragmented packet or of a first fragment only.
 * @throws PacketDslError for bad options
 */
export function ipv4(c: PacketCursor, at: PacketPosition, o: Ipv4Options): Parsed {
  checkParser(c, 'ipv4', at, Ipv4.SIZE, o.miss, [o.protocol, o.source, o.destination]);
  if (o.invalid !== undefined) checkMiss(o.invalid, 'ipv4 option invalid');
  if (o.laterFragments !== undefined) checkMiss(o.laterFragments, 'ipv4 option laterFragments');
  const code: Fragment[number][] = [ensure(c, at, Ipv4.SIZE, o.miss, 'ipv4 option miss')];
  if (o.protocol) code.push(ldx('b', o.protocol, at.base, at.offset + Ipv4.PROTOCOL));
  if (o.source) code.push(ldx('w', o.source, at.base, at.offset + Ipv4.SADDR));
  if (o.destination) code.push(ldx('w', o.destination, at.base, at.offset + Ipv4.DADDR));
  // Before the IHL step: `at.base` may be `cursor.pos`, which the step moves.
  if (o.laterFragments !== undefined)
    code.push(
      laterFragmentCheck(
        c,
        at,
        Ipv4.FRAG_OFF,
        FRAGMENT_OFFSET,
        o.laterFragments,
        'ipv4 option laterFragments',
      ),
    );
  if (o.options === false) return { code, next: { base: at.base, offset: at.offset + Ipv4.SIZE } };
  code.push(skipWordCount(c, at, Ipv4.VERSION_IHL, 'low', o, 'ipv4'));
  return { code, next: { base: c.pos, offset: 0 } };
}
