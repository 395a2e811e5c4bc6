import { add, type Fragment, freshLabel, ja, jeq, jne, ldx, lsh, mark, type Register } from '@ts-ebpf/dsl';
import {
  checkCount,
  checkMiss,
  checkParser,
  ensure,
  type Miss,
  materialize,
  type PacketCursor,
  type PacketPosition,
  type Parsed,
} from './cursor.js';
import { laterFragmentCheck } from './fragment.js';
import { IpProto, Ipv6, Ipv6Ext } from './layout.js';

/** The option `miss`, by what chose its action. */
const MISS = 'ipv6 option miss';
/** The fragment header's 16-bit word holding the fragment offset (its top 13 bits) and the M flag. */
const FRAGMENT_WORD = 2;
/** The fragment offset bits of that word. */
const FRAGMENT_OFFSET = 0xfff8;

/** The most extension headers {@link ipv6} unrolls. */
export const MAX_IPV6_EXTENSIONS = 16;

/** Options of {@link ipv6}. */
export interface Ipv6Options {
  /**
   * Receives the next header after the extension headers stepped over: the L4 protocol
   * (`IpProto.*`), or an extension header's number when there were more than `extensions`.
   */
  readonly nextHeader: Register;
  /**
   * How many hop-by-hop, routing, fragment and destination-options headers to step over
   * (default 4, at most {@link MAX_IPV6_EXTENSIONS}). With 0 the next position is constant
   * (`at + 40`); otherwise it is held in `cursor.pos`.
   */
  readonly extensions?: number;
  /** Where a packet too short for the header or an extension header goes. */
  readonly miss: Miss;
  /**
   * Where a fragment other than the first goes (a fragment header, among the extension
   * headers stepped over, with a non-zero offset): it carries a later part of the L4 payload
   * and no L4 header. Give it whenever the code after this parser reads the L4 header at
   * `next`. Without it such a fragment falls through like any packet, with `nextHeader` the
   * fragment header's next header and `next` pointing at payload bytes.
   */
  readonly laterFragments?: Miss;
}

/**
 * Parses an IPv6 header at `at` and up to `extensions` extension headers after it (each
 * bounds-checked for its first 8 bytes; its length, `(hdrlen + 1) * 8`, or 8 for a fragment
 * header, is added to `cursor.pos` and checked by the next header's bounds check). `next` is
 * the L4 header of an unfragmented packet or of a first fragment only: see `laterFragments`.
 * Addresses are read with `loadField` at `Ipv6.SADDR` / `Ipv6.DADDR` (16 bytes each).
 * @throws PacketDslError for bad options
 */
export function ipv6(c: PacketCursor, at: PacketPosition, o: Ipv6Options): Parsed {
  const max = checkCount(o.extensions ?? 4, MAX_IPV6_EXTENSIONS, "ipv6 option 'extensions'");
  checkParser(c, 'ipv6', at, Ipv6.SIZE, o.miss, [o.nextHeader]);
  if (o.laterFragments !== undefined) checkMiss(o.laterFragments, 'ipv6 option laterFragments');
  const nh = o.nextHeader;
  const code: Fragment[number][] = [
    ensure(c, at, Ipv6.SIZE, o.miss, MISS),
    ldx('b', nh, at.base, at.offset + Ipv6.NEXTHDR),
  ];
  const fixed: PacketPosition = { base: at.base, offset: at.offset + Ipv6.SIZE };
  if (max === 0) return { code, next: fixed };
  const done = freshLabel('ext_done');
  const here: PacketPosition = { base: c.pos, offset: 0 };
  const s = c.scratch;
  code.push(materialize(fixed, c.pos));
  for (let k = 0; k < max; k++) {
    const generic = freshLabel('ext');
    const fragment = freshLabel('frag');
    const next = k + 1 < max ? freshLabel('ext_next') : done;
    code.push(
      jeq(nh, IpProto.FRAGMENT, fragment),
      jeq(nh, IpProto.HOPOPTS, generic),
      jeq(nh, IpProto.ROUTING, generic),
      jne(nh, IpProto.DSTOPTS, done),
      mark(generic),
      ensure(c, here, Ipv6Ext.MIN_SIZE, o.miss, MISS),
      ldx('b', s, c.pos, Ipv6Ext.HDRLEN),
      ldx('b', nh, c.pos, Ipv6Ext.NEXTHDR),
      lsh(s, 3),
      add(c.pos, s),
      add(c.pos, Ipv6Ext.MIN_SIZE),
      ja(next),
      mark(fragment),
      ensure(c, here, Ipv6Ext.MIN_SIZE, o.miss, MISS),
      o.laterFragments === undefined
        ? []
        : laterFragmentCheck(
            c,
            here,
            FRAGMENT_WORD,
            FRAGMENT_OFFSET,
            o.laterFragments,
            'ipv6 option laterFragments',
          ),
      ldx('b', nh, c.pos, Ipv6Ext.NEXTHDR),
      add(c.pos, Ipv6Ext.MIN_SIZE),
    );
    if (k + 1 < max) code.push(mark(next));
  }
  code.push(mark(done));
  return { code, next: here };
}
