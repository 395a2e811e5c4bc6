import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { RtNetlink } from '../src/index.js';
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
  isAck,
  messageLength,
  NLM_F,
  NLMSG,
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

describe('netlink message bounds', () => {
  it('finds whole messages only, and tells a plain ack from an error', () => {
    const ack = new Uint8Array(20 + 16);
    const v = new DataView(ack.buffer);
    v.setUint32(0, ack.byteLength, true);
    v.setUint16(4, NLMSG.ERROR, true);
    expect(messageLength(v, 0, ack.byteLength)).toBe(36);
    expect(isAck(v, 0, 36)).toBe(true);
    expect(messageLength(v, 0, 35)).toBe(0); // runs past the bytes read
    expect(messageLength(v, 24, 36)).toBe(0); // too few bytes left for a header
    v.setInt32(16, -22, true);
    expect(isAck(v, 0, 36)).toBe(false);
    v.setUint32(0, 8, true); // shorter than a header
    expect(messageLength(v, 0, 36)).toBe(0);
  });
});

describeKernel('RtNetlink.send', () => {
  it('sends a message the caller encoded, without writing into its bytes', () => {
    using nl = new RtNetlink();
    const bytes = encodeMessage(NLMSG.RTM_GETLINK, 0, 0, ifinfomsg(1));
    // At an offset inside a larger buffer, to check byteOffset is honoured.
    const backing = new Uint8Array(bytes.byteLength + 8).fill(0xee);
    backing.set(bytes, 8);
    const message = backing.subarray(8);
    const before = backing.slice();
    for (let i = 0; i < 2; i++) {
      const replies = nl.send('RTM_GETLINK', message);
      const link = replies.find((m) => m.type === NLMSG.RTM_NEWLINK);
      expect(link).toBeDefined();
      const p = link!.payload;
      expect(new DataView(p.buffer, p.byteOffset).getInt32(4, HOST_LITTLE_ENDIAN)).toBe(1); // ifi_index of lo
    }
    expect(backing).toEqual(before);
  });

  it('turns a kernel refusal into a NetlinkError with its errno', () => {
    using nl = new RtNetlink();
    expect(() =>
      nl.send('RTM_GETLINK', encodeMessage(NLMSG.RTM_GETLINK, 0, 0, ifinfomsg(0x7ffffff0))),
    ).toThrow(/RTM_GETLINK failed: ENODEV/);
  });
});
