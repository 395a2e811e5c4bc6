import { describe, expect, it } from 'vitest';
import {
  attrString,
  attrU32,
  decodeAttrs,
  decodeMessages,
  encodeMessage,
  ifinfomsg,
  NLM_F,
  nested,
  tcmsg,
} from '../src/netlink/message.js';

describe('netlink encoding', () => {
  it('encodes a message with a nested, padded attribute', () => {
    const m = encodeMessage(19, NLM_F.REQUEST | NLM_F.ACK, 7, ifinfomsg(3), [
      nested(43, attrU32(1, 0xffffffff), attrU32(3, 2)),
      attrString(3, 'abc'),
    ]);
    const v = new DataView(m.buffer);
    expect(v.getUint32(0, true)).toBe(m.byteLength);
    expect(m.byteLength).toBe(16 + 16 + 4 + 8 + 8 + 8);
    expect([v.getUint16(4, true), v.getUint16(6, true), v.getUint32(8, true)]).toEqual([19, 5, 7]);
    expect(v.getInt32(16 + 4, true)).toBe(3); // ifi_index
    expect([v.getUint16(32, true), v.getUint16(34, true)]).toEqual([20, 43 | 0x8000]);
    const [msg] = decodeMessages(m);
    const attrs = decodeAttrs(msg!.payload.subarray(16));
    expect(new TextDecoder().decode(attrs.get(3))).toBe('abc\0');
    const inner = decodeAttrs(attrs.get(43)!);
    expect(new DataView(inner.get(3)!.buffer, inner.get(3)!.byteOffset).getUint32(0, true)).toBe(2);
  });

  it('lays out tcmsg', () => {
    const t = new DataView(tcmsg(5, 0xffff0000, 0xfffffff2, 0x10300).buffer);
    expect([t.getInt32(4, true), t.getUint32(8, true), t.getUint32(12, true), t.getUint32(16, true)]).toEqual(
      [5, 0xffff0000, 0xfffffff2, 0x10300],
    );
  });
});
