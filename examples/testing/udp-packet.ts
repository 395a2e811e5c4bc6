/**
 * A minimal Ethernet + IPv4 + UDP frame for test runs (tutorial 11): the fields a port
 * filter reads, in network byte order, the rest zero.
 */
export function udpFrame(dstPort: number, payload = 8): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 8 + payload);
  const v = new DataView(frame.buffer);
  v.setUint16(12, 0x0800); // EtherType IPv4
  v.setUint8(14, 0x45); // version 4, header of 5 words
  v.setUint16(16, 20 + 8 + payload); // total length
  v.setUint8(22, 64); // TTL
  v.setUint8(23, 17); // protocol UDP
  frame.set([10, 0, 0, 1], 26); // source address
  frame.set([10, 0, 0, 2], 30); // destination address
  v.setUint16(34, 40000); // source port
  v.setUint16(36, dstPort); // destination port
  v.setUint16(38, 8 + payload); // UDP length
  return frame;
}
