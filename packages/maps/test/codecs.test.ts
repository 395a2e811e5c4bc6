import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  array,
  be16,
  be32,
  bool,
  bytes,
  type Codec,
  CodecError,
  cstring,
  decode,
  encode,
  f32,
  f64,
  i8,
  i16,
  i32,
  i64,
  ipv4,
  ipv6,
  lpmKey,
  mac,
  max,
  min,
  perCpu,
  struct,
  sum,
  u8,
  u16,
  u32,
  u64,
} from '../src/index.js';

// The layouts below are little-endian ones; codecs-byte-order.test.ts runs both orders.
const encodeLE = <T>(c: Codec<T>, v: T) => encode(c, v, 'little');
const decodeLE = <T>(c: Codec<T>, b: Uint8Array) => decode(c, b, 'little');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('codecs', () => {
  it('round-trips every integer width little-endian, with range checks', () => {
    const cases = [
      [u8, 255, 'ff'],
      [i8, -1, 'ff'],
      [u16, 0x1234, '3412'],
      [i16, -2, 'feff'],
      [u32, 0xdeadbeef, 'efbeadde'],
      [i32, -2, 'feffffff'],
      [be16, 0x1234, '1234'],
      [be32, 0x0a000001, '0a000001'],
    ] as const;
    for (const [c, v, h] of cases) {
      const b = encodeLE(c, v);
      expect(hex(b)).toBe(h);
      expect(decodeLE(c, b)).toBe(v);
    }
    expect(hex(encodeLE(u64, 0x0102030405060708n))).toBe('0807060504030201');
    expect(decodeLE(i64, encodeLE(i64, -5n))).toBe(-5n);
    expect(decodeLE(u64, encodeLE(u64, (1n << 64n) - 1n))).toBe((1n << 64n) - 1n);
    expect(() => encodeLE(u8, 256)).toThrow(CodecError);
    expect(() => encodeLE(i8, -129)).toThrow(/i8/);
    expect(() => encodeLE(u32, 1.5)).toThrow(CodecError);
    expect(() => encodeLE(u64, 5 as unknown as bigint)).toThrow(/bigint/);
    expect(() => encodeLE(u64, -1n)).toThrow(CodecError);
  });

  it('takes every 64-bit integer in range and refuses the first one outside, at both ends', () => {
    const top = (1n << 64n) - 1n;
    const imin = -(1n << 63n);
    const imax = (1n << 63n) - 1n;
    expect(decodeLE(u64, encodeLE(u64, 0n))).toBe(0n);
    expect(decodeLE(u64, encodeLE(u64, top))).toBe(top);
    expect(() => encodeLE(u64, top + 1n)).toThrow(/not a u64/);
    expect(() => encodeLE(u64, -1n)).toThrow(/not a u64/);
    expect(() => encodeLE(u64, 1n << 80n)).toThrow(CodecError);
    expect(decodeLE(i64, encodeLE(i64, imin))).toBe(imin);
    expect(decodeLE(i64, encodeLE(i64, imax))).toBe(imax);
    expect(() => encodeLE(i64, imax + 1n)).toThrow(/not an i64 /);
    expect(() => encodeLE(i64, imin - 1n)).toThrow(/not an i64 /);
    // the article as the name is read: an i8, an i32, a u8
    expect(() => encodeLE(i8, 128)).toThrow(/^.*128 is not an i8 \(integer in -128\.\.127\)$/);
    expect(() => encodeLE(i32, 2 ** 31)).toThrow(/is not an i32 /);
    expect(() => encodeLE(u8, 256)).toThrow(/is not a u8 /);
    expect(() => encodeLE(i64, 1 as unknown as bigint)).toThrow(CodecError);
  });

  it('reads and writes 64-bit integers the same through a repeated view as through a fresh one', () => {
    // A view passed twice in a row takes the typed-array path; misaligned views, other offsets
    // and the other byte order take DataView's: every combination must agree with DataView.
    const order = HOST_BYTE_ORDER;
    const le = order === 'little';
    for (const start of [0, 8, 3]) {
      const buffer = new ArrayBuffer(40);
      const view = new DataView(buffer, start, 24);
      for (let round = 0; round < 3; round++) {
        for (const at of [0, 8, 16, 1]) {
          const value = (1n << 63n) + BigInt(round * 1000 + at);
          u64.write(view, at, value, 'v', order);
          expect(view.getBigUint64(at, le)).toBe(value);
          expect(u64.read(view, at, order)).toBe(value);
          i64.write(view, at, -value / 2n, 'v', order);
          expect(i64.read(view, at, order)).toBe(-value / 2n);
          expect(view.getBigInt64(at, le)).toBe(-value / 2n);
          const other = le ? 'big' : 'little';
          u64.write(view, at, 0x0102030405060708n, 'v', other);
          expect(view.getBigUint64(at, !le)).toBe(0x0102030405060708n);
          expect(u64.read(view, at, other)).toBe(0x0102030405060708n);
        }
        // past the end, and at offsets that are no index, as DataView does
        expect(() => u64.read(view, 24, order)).toThrow(RangeError);
        expect(() => u64.write(view, 24, 1n, 'v', order)).toThrow(RangeError);
        expect(() => u64.read(view, -8, order)).toThrow(RangeError);
      }
    }
  });

  it('round-trips floats, bool, bytes and strings', () => {
    expect(decodeLE(f64, encodeLE(f64, Math.PI))).toBe(Math.PI);
    expect(decodeLE(f32, encodeLE(f32, 1.5))).toBe(1.5);
    expect(decodeLE(bool, encodeLE(bool, true))).toBe(true);
    expect(() => encodeLE(bool, 1 as unknown as boolean)).toThrow(CodecError);
    expect(decodeLE(bytes(3), encodeLE(bytes(3), new Uint8Array([1, 2, 3])))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(() => encodeLE(bytes(3), new Uint8Array(4))).toThrow(/expected 3 bytes/);
    const s = cstring(8);
    expect(hex(encodeLE(s, 'abc'))).toBe('6162630000000000');
    expect(decodeLE(s, encodeLE(s, 'héllo'))).toBe('héllo');
    // A char[n] may be full with no NUL (strncpy leaves it so): it reads back, and writes back.
    expect(hex(encodeLE(s, '12345678'))).toBe('3132333435363738');
    expect(decodeLE(s, new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38]))).toBe('12345678');
    expect(() => encodeLE(s, '123456789')).toThrow(/string of 9 bytes does not fit char\[8\]/);
    // A character is not cut: 7 ASCII bytes and a 2-byte é do not fit 8.
    expect(() => encodeLE(s, '1234567é')).toThrow(/string of 9 bytes does not fit char\[8\]/);
  });

  it('parses and prints addresses in network order', () => {
    expect(hex(encodeLE(ipv4, '10.0.0.1'))).toBe('0a000001');
    expect(decodeLE(ipv4, encodeLE(ipv4, '192.168.1.255'))).toBe('192.168.1.255');
    expect(() => encodeLE(ipv4, '1.2.3.256')).toThrow(CodecError);
    expect(hex(encodeLE(ipv6, 'fe80::1'))).toBe('fe800000000000000000000000000001');
    for (const a of [
      '::',
      '::1',
      'fe80::1',
      '2001:db8::8:800:200c:417a',
      '1:2:3:4:5:6:7:8',
      '::ffff:102:304',
    ]) {
      expect(decodeLE(ipv6, encodeLE(ipv6, a))).toBe(a);
    }
    expect(decodeLE(ipv6, encodeLE(ipv6, '::ffff:1.2.3.4'))).toBe('::ffff:102:304');
    expect(() => encodeLE(ipv6, '1::2::3')).toThrow(CodecError);
    expect(() => encodeLE(ipv6, '1:2:3')).toThrow(CodecError);
    expect(decodeLE(mac, encodeLE(mac, 'AA:bb:cc:01:02:03'))).toBe('aa:bb:cc:01:02:03');
    expect(() => encodeLE(mac, 'aa:bb')).toThrow(CodecError);
  });

  it('lays structs out with C alignment and zeroed padding', () => {
    const s = struct({ a: u8, b: u32, c: u16, d: u64 });
    expect(s.size).toBe(24);
    expect(s.align).toBe(8);
    expect(s.offsets).toEqual({ a: 0, b: 4, c: 8, d: 16 });
    const out = new Uint8Array(24).fill(0xee);
    s.write(new DataView(out.buffer), 0, { a: 1, b: 2, c: 3, d: 4n }, 'value', 'little');
    expect(hex(out)).toBe('01000000020000000300000000000000' + '0400000000000000');
    expect(decodeLE(s, out)).toEqual({ a: 1, b: 2, c: 3, d: 4n });
    const packed = struct({ a: u8, b: u32 }, { packed: true });
    expect(packed.size).toBe(5);
    expect(struct({ a: u8 }, { size: 4 }).size).toBe(4);
    const nested = struct({ tag: u8, pts: array(struct({ x: i16, y: i16 }), 2), name: cstring(3) });
    const v = {
      tag: 9,
      pts: [
        { x: -1, y: 2 },
        { x: 3, y: -4 },
      ],
      name: 'hi',
    };
    expect(nested.size).toBe(14);
    expect(decodeLE(nested, encodeLE(nested, v))).toEqual(v);
  });

  it('names the offending field in errors', () => {
    const s = struct({ hdr: struct({ len: u16 }), items: array(u8, 2) });
    expect(() => encodeLE(s, { hdr: { len: -1 }, items: [1, 2] })).toThrow(/value\.hdr\.len/);
    expect(() => encodeLE(s, { hdr: { len: 1 }, items: [1, 300] })).toThrow(/value\.items\[1\]/);
    expect(() => encodeLE(s, { hdr: { len: 1 }, items: [1] })).toThrow(
      /value\.items: expected an array of 2/,
    );
    expect(() => encodeLE(s, { hdr: {}, items: [1, 2] } as never)).toThrow(/value\.hdr\.len: missing field/);
    expect(() => encodeLE(s, { hdr: { len: 1 }, items: [1, 2], x: 1 } as never)).toThrow(
      /value\.x: unknown field/,
    );
    try {
      encodeLE(s, { hdr: { len: 1.5 }, items: [1, 2] });
    } catch (e) {
      expect((e as CodecError).field).toBe('value.hdr.len');
    }
  });

  it('encodes per-CPU values in 8-byte slots and aggregates them', () => {
    const c = perCpu(u32, 3);
    expect(c.size).toBe(24);
    const b = encodeLE(c, [1, 2, 3]);
    expect(hex(b)).toBe('010000000000000002000000000000000300000000000000');
    expect(decodeLE(c, b)).toEqual([1, 2, 3]);
    expect(() => encodeLE(c, [1, 2])).toThrow(/one value per possible CPU \(3\)/);
    expect(sum([1, 2, 3])).toBe(6);
    expect(sum([1n, 2n])).toBe(3n);
    expect(max([1, 5, 3])).toBe(5);
    expect(min([4n, 2n, 9n])).toBe(2n);
  });

  it('encodes LPM keys as prefixlen + packed data', () => {
    const k = lpmKey(ipv4);
    expect(k.size).toBe(8);
    expect(hex(encodeLE(k, { prefixLen: 24, addr: '10.1.2.0' }))).toBe('180000000a010200');
    expect(lpmKey(mac).size).toBe(10);
  });
});
