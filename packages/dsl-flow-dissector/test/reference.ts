/**
 * What the dissect template must produce, computed in TypeScript straight from the frame
 * bytes as the kernel's test run hands them over (data = the whole frame, nhoff = 14,
 * n_proto = the Ethernet header's EtherType), clamps included.
 */
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

export const BPF_OK = 0;
export const BPF_DROP = 2;

export interface Expected {
  readonly retval: number;
  /** The 56 bytes of struct bpf_flow_keys, when retval is BPF_OK. */
  readonly keys?: Uint8Array;
}

export function referenceKeys(frame: Uint8Array, flags: number): Expected {
  const len = frame.length;
  const keys = new Uint8Array(56);
  const kv = new DataView(keys.buffer);
  const be16 = (at: number) => (frame[at]! << 8) | frame[at + 1]!;
  const h16 = (at: number, v: number) => kv.setUint16(at, v, HOST_LITTLE_ENDIAN);
  const copy = (from: number, n: number, to: number) => keys.set(frame.subarray(from, from + n), to);
  kv.setUint32(48, flags, HOST_LITTLE_ENDIAN);
  copy(12, 2, 10);
  let pos = 14;
  let nhoff = 14;
  let thoff = 14;
  let proto = be16(12);
  const drop: Expected = { retval: BPF_DROP };
  const ok = (): Expected => {
    nhoff = Math.min(Math.max(nhoff, 14), len);
    thoff = Math.min(Math.max(thoff, nhoff), len);
    h16(0, nhoff);
    h16(2, thoff);
    return { retval: BPF_OK, keys };
  };
  for (let k = 0; k < 2 && (proto === 0x8100 || proto === 0x88a8); k++) {
    if (pos + 4 > len) return drop;
    proto = be16(pos + 2);
    copy(pos + 2, 2, 10);
    pos += 4;
    nhoff = pos;
  }
  let l4: number;
  let ipProto: number;
  if (proto === 0x0800) {
    if (pos + 20 > len) return drop;
    const ihl = frame[pos]! & 0x0f;
    if (ihl < 5) return drop;
    copy(pos + 12, 8, 16);
    h16(4, 0x0800);
    ipProto = frame[pos + 9]!;
    l4 = pos + ihl * 4;
    keys[9] = ipProto;
    thoff = l4;
    const frag = be16(pos + 6);
    if (frag & 0x3fff) {
      keys[6] = 1;
      if (frag & 0x1fff) return ok();
      keys[7] = 1;
      if (!(flags & 1)) return ok();
    }
  } else if (proto === 0x86dd) {
    if (pos + 40 > len) return drop;
    copy(pos + 8, 32, 16);
    keys.set([0, frame[pos + 1]! & 0x0f, frame[pos + 2]!, frame[pos + 3]!], 52);
    h16(4, 0x86dd);
    let nh = frame[pos + 6]!;
    if (nh === 44) {
      if (pos + 48 > len) return drop;
      keys[6] = 1;
      ipProto = frame[pos + 40]!;
      l4 = pos + 48;
      keys[9] = ipProto;
      thoff = l4;
      if (be16(pos + 42) & 0xfff8) return ok();
      keys[7] = 1;
      if (!(flags & 1)) return ok();
    } else {
      l4 = pos + 40;
      for (let k = 0; k < 4 && [0, 43, 44, 60].includes(nh); k++) {
        if (l4 + 8 > len) return drop;
        const size = nh === 44 ? 8 : (frame[l4 + 1]! + 1) * 8;
        nh = frame[l4]!;
        l4 += size;
      }
      ipProto = nh;
      keys[9] = ipProto;
      thoff = l4;
      if (kv.getUint32(52) !== 0 && flags & 2) return ok();
    }
  } else return drop;
  if (ipProto === 6 || ipProto === 17) {
    if (l4 + (ipProto === 6 ? 20 : 8) > len) return drop;
    copy(l4, 4, 12);
  }
  return ok();
}
