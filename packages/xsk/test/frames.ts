/** Test frames: Ethernet + IPv4 + UDP built byte by byte (RFC 791 / 768 layouts). */

/** Parses `aa:bb:cc:dd:ee:ff`. */
export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(':'), (h) => Number.parseInt(h, 16));
}

function ipv4(text: string): number[] {
  return text.split('.').map(Number);
}

/** The ones'-complement checksum of an IPv4 header. */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A UDP datagram in an IPv4 packet in an Ethernet frame (UDP checksum 0: none). */
export function udpFrame(o: {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 8 + o.payload.length);
  const v = new DataView(frame.buffer);
  frame.set(o.dstMac, 0);
  frame.set(o.srcMac, 6);
  v.setUint16(12, 0x0800);
  const ip = frame.subarray(14, 34);
  ip[0] = 0x45;
  v.setUint16(16, 20 + 8 + o.payload.length);
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  ip.set(ipv4(o.srcIp), 12);
  ip.set(ipv4(o.dstIp), 16);
  v.setUint16(24, checksum(ip));
  v.setUint16(34, o.srcPort);
  v.setUint16(36, o.dstPort);
  v.setUint16(38, 8 + o.payload.length);
  frame.set(o.payload, 42);
  return frame;
}

/** The UDP payloads to `port` among `frames` (Ethernet + IPv4 + UDP). */
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
