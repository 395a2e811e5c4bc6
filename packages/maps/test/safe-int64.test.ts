import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  array,
  CodecError,
  decode,
  encode,
  i64,
  i64AsNumber,
  struct,
  u8,
  u32,
  u64,
  u64AsNumber,
} from '../src/index.js';

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1
const orders = ['little', 'big'] as const;

/** The bytes of `value` as a u64 / i64 in `order` (the bigint codecs are the reference layout). */
const bigBytes = (codec: typeof u64 | typeof i64, value: bigint, order: 'little' | 'big') =>
  encode(codec, value, order);

describe('u64AsNumber and i64AsNumber', () => {
  it.each(orders)('read and write the layout of u64 / i64 (%s endian), exactly up to 2^53 - 1', (order) => {
    for (const v of [0, 1, 0xffffffff, 0x100000000, 123456789012345, MAX]) {
      expect(encode(u64AsNumber, v, order)).toEqual(bigBytes(u64, BigInt(v), order));
      expect(decode(u64AsNumber, bigBytes(u64, BigInt(v), order), order)).toBe(v);
    }
    for (const v of [0, 1, -1, -0x100000000, -0xffffffff, 2 ** 40 + 3, -(2 ** 40) - 3, MAX, -MAX]) {
      expect(encode(i64AsNumber, v, order)).toEqual(bigBytes(i64, BigInt(v), order));
      expect(decode(i64AsNumber, bigBytes(i64, BigInt(v), order), order)).toBe(v);
    }
  });

  it.each(orders)(
    'reading a value outside ±(2^53 - 1) throws a CodecError naming it (%s endian), never rounds',
    (order) => {
      for (const v of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
        const read = () => decode(u64AsNumber, bigBytes(u64, v, order), order);
        expect(read).toThrow(CodecError);
        expect(read).toThrow(`u64AsNumber: ${v} is outside Number.MAX_SAFE_INTEGER`);
      }
      for (const v of [2n ** 53n, -(2n ** 53n), -(2n ** 63n), 2n ** 63n - 1n]) {
        const read = () => decode(i64AsNumber, bigBytes(i64, v, order), order);
        expect(read).toThrow(CodecError);
        expect(read).toThrow(`i64AsNumber: ${v} is outside`);
      }
    },
  );

  it('writing anything but a safe integer in range is a CodecError naming the field', () => {
    for (const bad of [MAX + 1, -1, 1.5, Number.NaN, 2n, '1']) {
      expect(() => encode(u64AsNumber, bad as number, HOST_BYTE_ORDER, 'value.ts')).toThrow(
        /^value\.ts: .* does not fit u64AsNumber/,
      );
    }
    for (const bad of [MAX + 1, -MAX - 1, 0.5]) {
      expect(() => encode(i64AsNumber, bad, HOST_BYTE_ORDER)).toThrow(CodecError);
    }
  });

  it('in a struct, beside bigint fields, at any offset of any view', () => {
    const codec = struct({ a: u8, n: u64AsNumber, b: u64, s: i64AsNumber, t: i64, w: array(u32, 2) });
    const value = { a: 7, n: MAX, b: 2n ** 64n - 1n, s: -MAX, t: -5n, w: [1, 2] };
    for (const order of orders) {
      const bytes = encode(codec, value, order);
      // at an odd offset of a larger buffer: the 64-bit reads cannot use an aligned word view
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      expect(decode(codec, shifted.subarray(3), order)).toEqual(value);
      expect(decode(codec, bytes, order)).toEqual(value);
      // the same view twice in a row (the aligned word view is made then) reads the same
      const view = new DataView(bytes.buffer);
      expect(codec.read(view, 0, order)).toEqual(value);
      expect(codec.read(view, 0, order)).toEqual(value);
      const big = encode(
        struct({ a: u8, n: u64, b: u64, s: i64, t: i64, w: array(u32, 2) }),
        { ...value, n: 2n ** 53n, s: 0n },
        order,
      );
      expect(() => decode(codec, big, order)).toThrow('n: u64AsNumber: 9007199254740992');
    }
  });

  it('a value too large names its path inside the decoded value: struct fields, nested structs, array elements', () => {
    const hdr = struct({ len: u32, ts: u64AsNumber });
    const codec = struct({ hdr, w: array(i64AsNumber, 3), list: array(hdr, 2) });
    const wide = struct({
      hdr: struct({ len: u32, ts: u64 }),
      w: array(i64, 3),
      list: array(struct({ len: u32, ts: u64 }), 2),
    });
    const ok = {
      hdr: { len: 1, ts: 2n },
      w: [1n, 2n, 3n],
      list: [
        { len: 3, ts: 4n },
        { len: 5, ts: 6n },
      ],
    };
    const cases: [typeof ok, string, string][] = [
      [
        { ...ok, hdr: { len: 1, ts: 2n ** 53n } },
        'hdr.ts',
        'hdr.ts: u64AsNumber: 9007199254740992 is outside',
      ],
      [{ ...ok, w: [1n, -(2n ** 60n), 3n] }, 'w[1]', 'w[1]: i64AsNumber: -1152921504606846976 is outside'],
      [
        { ...ok, list: [ok.list[0]!, { len: 5, ts: 2n ** 64n - 1n }] },
        'list[1].ts',
        'list[1].ts: u64AsNumber: 18446744073709551615 is outside',
      ],
    ];
    for (const order of orders) {
      expect(decode(codec, encode(wide, ok, order), order)).toEqual({
        hdr: { len: 1, ts: 2 },
        w: [1, 2, 3],
        list: [
          { len: 3, ts: 4 },
          { len: 5, ts: 6 },
        ],
      });
      for (const [value, field, message] of cases) {
        let thrown: unknown;
        try {
          decode(codec, encode(wide, value, order), order);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(CodecError);
        expect((thrown as CodecError).field).toBe(field);
        expect((thrown as CodecError).message.startsWith(message)).toBe(true);
      }
    }
    // the codec on its own: the error is about the whole value, named by the codec
    let whole: unknown;
    try {
      decode(u64AsNumber, encode(u64, 2n ** 53n, 'little'), 'little');
    } catch (e) {
      whole = e;
    }
    expect((whole as CodecError).field).toBe('u64AsNumber');
  });
});
