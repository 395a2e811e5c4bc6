/** Crafted Ethernet frames for the parser tests, built byte by byte (no parsing code shared with src). */

function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

const MACS = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];

/** Ethernet header with the given VLAN tags ([tpid, vid] outermost first) and EtherType. */
export function eth(etherType: number, tags: readonly (readonly [number, number])[] = []): number[] {
  const out = [...MACS];
  for (const [tpid, vid] of tags) out.push(...u16(tpid), ...u16((3 << 13) | vid));
  out.push(...u16(etherType));
  return out;
}

/** The 16-bit one's-complement checksum of `bytes` (RFC 1071). */
export function inetChecksum(bytes: readonly number[] | Uint8Array, seed = 0): number {
  let sum = seed;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * IPv4 header (checksum filled) with `optionWords` 4-byte NOP option words; `ihl` overrides the
 * field; `fragOff` is the flags and fragment offset word (default DF, offset 0).
 */
export function ipv4(
  protocol: number,
  payloadLength: number,
  optionWords = 0,
  ihl?: number,
  fragOff = 0x4000,
): number[] {
  const len = 20 + optionWords * 4;
  const h = [
    0x40 | (ihl ?? 5 + optionWords),
    0,
    ...u16(len + payloadLength),
    0x12,
    0x34,
    ...u16(fragOff),
    64,
    protocol,
    0,
    0,
    192,
    0,
    2,
    1,
    198,
    51,
    100,
    7,
  ];
  for (let i = 0; i < optionWords * 4; i++) h.push(1);
  const c = inetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return h;
}

/** IPv6 header with a next header and payload length. */
export function ipv6(nextHeader: number, payloadLength: number): number[] {
  const src = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
  const dst = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 2];
  return [0x60, 0, 0, 0, ...u16(payloadLength), nextHeader, 64, ...src, ...dst];
}

/** A generic IPv6 extension header of (hdrlen + 1) * 8 bytes. */
export function ext(nextHeader: number, hdrlen = 0): number[] {
  const out = [nextHeader, hdrlen];
  while (out.length < (hdrlen + 1) * 8) out.push(out.length === 2 ? 1 : 0);
  return out;
}

/** A fragment extension header (8 bytes); `offsetWord` is the fragment offset << 3 | M (default 0). */
export function fragmentExt(nextHeader: number, offsetWord = 0): number[] {
  return [nextHeader, 0, ...u16(offsetWord), 0xde, 0xad, 0xbe, 0xef];
}

/** TCP header (20 bytes + `optionWords` NOP words) with ports and flags; checksum left 0. */
export function tcp(sport: number, dport: number, flags: number, optionWords = 0): number[] {
  const h = [
    ...u16(sport),
    ...u16(dport),
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    (5 + optionWords) << 4,
    flags,
    ...u16(512),
    0,
    0,
    0,
    0,
  ];
  for (let i = 0; i < optionWords * 4; i++) h.push(1);
  return h;
}

/** UDP header with ports and a length covering `payloadLength` bytes; checksum left 0. */
export function udp(sport: number, dport: number, payloadLength: number): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + payloadLength), 0, 0];
}

/** ICMP / ICMPv6 header: type, code, checksum 0, four more bytes. */
export function icmp(type: number, code: number): number[] {
  return [type, code, 0, 0, 0, 1, 0, 2];
}

const PAYLOAD = [0xca, 0xfe, 0xba, 0xbe, 0x00, 0x11, 0x22, 0x33];

/** A named frame for the table-driven tests. */
export interface Frame {
  readonly name: string;
  readonly bytes: Uint8Array;
}

function frame(name: string, ...parts: number[][]): Frame {
  return { name, bytes: Uint8Array.from(parts.flat()) };
}

const Q = 0x8100;
const AD = 0x88a8;

/** IPv4 `frag_off` words: more fragments (MF) and an offset in 8-byte units. */
const MF = 0x2000;

/** The crafted frames: every parser, VLAN tags, IPv4 options, IPv6 extension headers, fragments. */
export function frames(): Frame[] {
  const t = tcp(40000, 443, 0x02);
  const u = udp(5353, 53, PAYLOAD.length);
  return [
    frame('IPv4 TCP', eth(0x0800), ipv4(6, 20), t),
    frame('IPv4 TCP with options and TCP options', eth(0x0800), ipv4(6, 28, 10), tcp(22, 2222, 0x12, 2)),
    frame('IPv4 UDP with IP options', eth(0x0800), ipv4(17, 16, 2), u, PAYLOAD),
    frame('IPv4 ICMP, 802.1Q tag', eth(0x0800, [[Q, 100]]), ipv4(1, 8), icmp(8, 0)),
    frame(
      'IPv4 UDP, QinQ (802.1ad + 802.1Q)',
      eth(0x0800, [
        [AD, 300],
        [Q, 42],
      ]),
      ipv4(17, 16),
      u,
      PAYLOAD,
    ),
    frame(
      'IPv4 UDP, two 802.1Q tags',
      eth(0x0800, [
        [Q, 7],
        [Q, 4095],
      ]),
      ipv4(17, 16),
      u,
      PAYLOAD,
    ),
    frame(
      'three tags (one more than the bound)',
      eth(0x0800, [
        [AD, 1],
        [Q, 2],
        [Q, 3],
      ]),
      ipv4(17, 8),
      u,
    ),
    frame('IPv4 with IHL 4 (invalid)', eth(0x0800), ipv4(6, 20, 0, 4), t),
    frame('IPv4 unknown protocol (GRE)', eth(0x0800), ipv4(47, 8), PAYLOAD),
    frame('IPv4 UDP, first fragment (MF)', eth(0x0800), ipv4(17, 16, 0, undefined, MF), u, PAYLOAD),
    // Later fragments: what follows the IP header is payload, here bytes that look like a header.
    frame('IPv4 UDP, last fragment (offset 185)', eth(0x0800), ipv4(17, 16, 0, undefined, 185), u, PAYLOAD),
    frame(
      'IPv4 TCP with options, middle fragment, 802.1Q tag',
      eth(0x0800, [[Q, 12]]),
      ipv4(6, 20, 3, undefined, MF | 1),
      t,
    ),
    frame('IPv6 TCP', eth(0x86dd), ipv6(6, 20), t),
    frame('IPv6 UDP, 802.1Q tag', eth(0x86dd, [[Q, 5]]), ipv6(17, 16), u, PAYLOAD),
    frame('IPv6 ICMPv6', eth(0x86dd), ipv6(58, 8), icmp(128, 0)),
    frame(
      'IPv6 hop-by-hop, routing, fragment, destination options, UDP',
      eth(0x86dd),
      ipv6(0, 8 + 24 + 8 + 16 + 16),
      ext(43, 0),
      ext(44, 2),
      fragmentExt(60),
      ext(17, 1),
      u,
      PAYLOAD,
    ),
    frame('IPv6 UDP, first fragment (M)', eth(0x86dd), ipv6(44, 8 + 16), fragmentExt(17, 1), u, PAYLOAD),
    frame(
      'IPv6 hop-by-hop, UDP, last fragment (offset 100)',
      eth(0x86dd),
      ipv6(0, 8 + 8 + 16),
      ext(44),
      fragmentExt(17, 100 << 3),
      u,
      PAYLOAD,
    ),
    frame(
      'IPv6 destination options, ICMPv6, QinQ',
      eth(0x86dd, [
        [AD, 9],
        [Q, 10],
      ]),
      ipv6(60, 16),
      ext(58),
      icmp(135, 0),
    ),
    frame(
      'IPv6 five extension headers (one more than the bound)',
      eth(0x86dd),
      ipv6(0, 48),
      ext(60),
      ext(60),
      ext(60),
      ext(60),
      ext(6),
      t,
    ),
    frame('ARP', eth(0x0806), new Array(28).fill(0)),
  ];
}
