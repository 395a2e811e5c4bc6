/**
 * Crafted frames for XDP and AF_XDP tests: Ethernet (with VLAN tags), IPv4 (with options),
 * IPv6 (with extension headers), UDP, TCP and ICMP, built byte by byte from the RFC layouts,
 * and a small reader of UDP payloads.
 */

/** Parses `aa:bb:cc:dd:ee:ff`. */
export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(':'), (h) => Number.parseInt(h, 16));
}

/** The ones'-complement checksum of `bytes` (RFC 1071). */
export function inetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];

/** Layer 4 of a test frame. */
export type L4 =
  | { readonly udp: { readonly sport: number; readonly dport: number }; readonly payload?: Uint8Array }
  | { readonly tcp: { readonly sport: number; readonly dport: number }; readonly payload?: Uint8Array }
  | { readonly icmp: { readonly type: number; readonly code: number }; readonly payload?: Uint8Array }
  | { readonly proto: number; readonly payload?: Uint8Array };

function l4Bytes(l4: L4): { proto: number; bytes: Uint8Array } {
  const payload = l4.payload ?? new Uint8Array(0);
  if ('udp' in l4)
    return {
      proto: 17,
      bytes: concat([
        [...u16(l4.udp.sport), ...u16(l4.udp.dport), ...u16(8 + payload.length), 0, 0],
        payload,
      ]),
    };
  if ('tcp' in l4) {
    const h = [
      ...u16(l4.tcp.sport),
      ...u16(l4.tcp.dport),
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      0x50,
      0x02,
      0xff,
      0xff,
      0,
      0,
      0,
      0,
    ];
    return { proto: 6, bytes: concat([h, payload]) };
  }
  if ('icmp' in l4)
    return { proto: 1, bytes: concat([[l4.icmp.type, l4.icmp.code, 0, 0, 0, 1, 0, 1], payload]) };
  return { proto: l4.proto, bytes: payload };
}

/** Options of {@link frame}. */
export interface FrameOptions {
  readonly dstMac?: Uint8Array;
  readonly srcMac?: Uint8Array;
  /** VLAN tags, outermost first: `[tpid, vid]`. */
  readonly vlans?: readonly (readonly [number, number])[];
  /**
   * An IPv4 packet (with `optionWords` 4-byte NOP option words; `fragOff` is its flags and
   * fragment offset word, default DF), an IPv6 packet (with extension headers; with `fragOff`,
   * then a fragment header whose offset word, offset << 3 | M, it is), or a raw EtherType.
   */
  readonly ip:
    | {
        readonly v4: {
          readonly src: string;
          readonly dst: string;
          readonly optionWords?: number;
          readonly fragOff?: number;
        };
      }
    | { readonly v6: { readonly extensions?: readonly number[]; readonly fragOff?: number } }
    | { readonly etherType: number; readonly payload?: Uint8Array };
  readonly l4?: L4;
}

const DEFAULT_DST = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const DEFAULT_SRC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);

/**
 * A frame: Ethernet (+ VLAN tags) + IPv4 (checksummed; UDP checksum 0) or IPv6 (fixed
 * addresses 2001:db8::1 → ::2, each extension header 8 bytes) + layer 4.
 */
export function frame(o: FrameOptions): Uint8Array {
  const eth: number[] = [...(o.dstMac ?? DEFAULT_DST), ...(o.srcMac ?? DEFAULT_SRC)];
  for (const [tpid, vid] of o.vlans ?? []) eth.push(...u16(tpid), ...u16(vid));
  if ('etherType' in o.ip) return concat([eth, u16(o.ip.etherType), o.ip.payload ?? []]);
  const l4 = l4Bytes(o.l4 ?? { proto: 59 });
  if ('v4' in o.ip) {
    const words = o.ip.v4.optionWords ?? 0;
    const h = new Uint8Array(20 + words * 4).fill(1);
    h.set([
      0x40 | (5 + words),
      0,
      ...u16(h.length + l4.bytes.length),
      0x12,
      0x34,
      ...u16(o.ip.v4.fragOff ?? 0x4000),
      64,
      l4.proto,
      0,
      0,
    ]);
    h.set(o.ip.v4.src.split('.').map(Number), 12);
    h.set(o.ip.v4.dst.split('.').map(Number), 16);
    h.set(u16(inetChecksum(h)), 10);
    return concat([eth, u16(0x0800), h, l4.bytes]);
  }
  const { fragOff } = o.ip.v6;
  const exts = [...(o.ip.v6.extensions ?? []), ...(fragOff === undefined ? [] : [44])];
  const chain = [...exts, l4.proto];
  const extBytes = exts.flatMap((type, i) =>
    type === 44 && i === exts.length - 1 && fragOff !== undefined
      ? [chain[i + 1]!, 0, ...u16(fragOff), 0xde, 0xad, 0xbe, 0xef]
      : [chain[i + 1]!, 0, 1, 4, 0, 0, 0, 0],
  );
  const addr = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), last];
  const h = [0x60, 0, 0, 0, ...u16(extBytes.length + l4.bytes.length), chain[0]!, 64, ...addr(1), ...addr(2)];
  return concat([eth, u16(0x86dd), h, extBytes, l4.bytes]);
}

/** The UDP payloads to `port` among `frames` (Ethernet + IPv4 without VLAN tags + UDP). */
export function udpPayloads(frames: readonly Uint8Array[], port: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of frames) {
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    if (f.byteLength < 42 || v.getUint16(12) !== 0x0800 || f[23] !== 17) continue;
    const udp = 14 + (f[14]! & 0x0f) * 4;
    if (v.getUint16(udp + 2) !== port) continue;
    out.push(f.slice(udp + 8, udp + v.getUint16(udp + 4)));
  }
  return out;
}
