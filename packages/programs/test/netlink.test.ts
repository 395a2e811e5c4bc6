import { describe, expect, it } from 'vitest';
import {
  attr,
  attrString,
  attrU32,
  decodeAttrs,
  decodeError,
  decodeMessages,
  encodeAttrs,
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

  for (const capped of [true, false]) {
    it(`decodes an extended ack (${capped ? 'capped' : 'with the request echoed'})`, () => {
      const request = encodeMessage(19, NLM_F.REQUEST | NLM_F.ACK, 9, ifinfomsg(4), [attrU32(1, 5)]);
      const echoed = capped ? request.subarray(0, 16) : request;
      const tlvs = encodeAttrs([
        attrString(1, 'Only one XDP mode flag can be set'),
        attr(2, new Uint8Array(4)),
      ]);
      const payload = new Uint8Array(4 + echoed.byteLength + tlvs.byteLength);
      new DataView(payload.buffer).setInt32(0, -22, true);
      payload.set(echoed, 4);
      payload.set(tlvs, 4 + echoed.byteLength);
      const flags = NLM_F.ACK_TLVS | (capped ? NLM_F.CAPPED : 0);
      const [m] = decodeMessages(encodeMessage(2, flags, 9, payload));
      expect(decodeError(m!)).toEqual({ errno: 22, kernelMessage: 'Only one XDP mode flag can be set' });
      // Without NLM_F_ACK_TLVS the same bytes carry no message.
      expect(decodeError({ ...m!, flags: 0 })).toEqual({ errno: 22, kernelMessage: undefined });
    });
  }
});
