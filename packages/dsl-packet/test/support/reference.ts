/**
 * The TypeScript reference parser: the same results, for the same frame, as the BPF program
 * test/support/parse-program.ts builds from the dsl-packet parsers, written directly from the
 * header formats. Field order is the record layout (one u32 each).
 */
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

/** Status codes: which stage missed, or DONE. */
export const Stage = {
  ETH: 1,
  IPV4: 2,
  IHL: 3,
  IPV6: 4,
  TCP: 5,
  UDP: 6,
  ICMP: 7,
  ICMPV6: 8,
  /** A fragment other than the first (no L4 header). */
  LATER_FRAGMENT: 9,
  DONE: 100,
} as const;

/** The parse record, field per u32 slot. */
export const FIELDS = [
  'status',
  'etherType',
  'vlan0',
  'vlan1',
  'l3',
  'protocol',
  'l4',
  'a',
  'b',
  'flags',
  'saddr',
  'daddr',
] as const;

/** One parse result. */
export type Record = { [K in (typeof FIELDS)[number]]: number };

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
/** A 4-byte packet field as a host-order (little-endian) u32: what a raw BPF load stores. */
const raw32 = (b: Uint8Array, o: number) =>
  new DataView(b.buffer, b.byteOffset).getUint32(o, HOST_BYTE_ORDER === 'little');

/** Parses `b` the way the test program does, with `vlanTags` and `extensions` bounds. */
export function referenceParse(b: Uint8Array, vlanTags = 2, extensions = 4): Record {
  const r: Record = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record;
  const len = b.length;
  const done = (status: number) => Object.assign(r, { status });
  if (len < 14) return done(Stage.ETH);
  let et = be16(b, 12);
  let off = 14;
  const vids = [0, 0];
  for (let k = 0; k < vlanTags; k++) {
    if (et !== 0x8100 && et !== 0x88a8) break;
    if (off + 4 > len) return done(Stage.ETH);
    vids[k] = be16(b, off) & 0xfff;
    et = be16(b, off + 2);
    off += 4;
  }
  Object.assign(r, { etherType: et, vlan0: vids[0], vlan1: vids[1], l3: off });
  let l4: number;
  let proto: number;
  if (et === 0x0800) {
    if (off + 20 > len) return done(Stage.IPV4);
    if (be16(b, off + 6) & 0x1fff) return done(Stage.LATER_FRAGMENT);
    const ihl = b[off]! & 0x0f;
    if (ihl < 5) return done(Stage.IHL);
    proto = b[off + 9]!;
    l4 = off + ihl * 4;
    Object.assign(r, { protocol: proto, l4, saddr: raw32(b, off + 12), daddr: raw32(b, off + 16) });
  } else if (et === 0x86dd) {
    if (off + 40 > len) return done(Stage.IPV6);
    proto = b[off + 6]!;
    l4 = off + 40;
    for (let k = 0; k < extensions; k++) {
      if (proto === 44) {
        if (l4 + 8 > len) return done(Stage.IPV6);
        if (be16(b, l4 + 2) & 0xfff8) return done(Stage.LATER_FRAGMENT);
        proto = b[l4]!;
        l4 += 8;
      } else if (proto === 0 || proto === 43 || proto === 60) {
        if (l4 + 8 > len) return done(Stage.IPV6);
        const next = b[l4]!;
        l4 += (b[l4 + 1]! + 1) * 8;
        proto = next;
      } else break;
    }
    Object.assign(r, { protocol: proto, l4 });
  } else return done(Stage.DONE);
  if (proto === 6) {
    if (l4 + 20 > len) return done(Stage.TCP);
    Object.assign(r, { a: be16(b, l4), b: be16(b, l4 + 2), flags: b[l4 + 13]! });
  } else if (proto === 17) {
    if (l4 + 8 > len) return done(Stage.UDP);
    Object.assign(r, { a: be16(b, l4), b: be16(b, l4 + 2) });
  } else if (proto === 1 && et === 0x0800) {
    if (l4 + 8 > len) return done(Stage.ICMP);
    Object.assign(r, { a: b[l4]!, b: b[l4 + 1]! });
  } else if (proto === 58 && et === 0x86dd) {
    if (l4 + 8 > len) return done(Stage.ICMPV6);
    Object.assign(r, { a: b[l4]!, b: b[l4 + 1]! });
  }
  return done(Stage.DONE);
}
