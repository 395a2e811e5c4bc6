import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import {
  array,
  be16,
  be32,
  bool,
  bytes,
  cstring,
  decode,
  encode,
  f32,
  f64,
  i8,
  i16,
  i32,
  i64,
  i64AsNumber,
  struct,
  u8,
  u16,
  u32,
  u64,
  u64AsNumber,
} from '../src/index.js';

// A struct's read is one function made for its fields (see codecs/struct.ts): it must read
// what the field loop read, for any field names and layouts.
it('a struct reads every field at its offset, whatever the field names', () => {
  const codec = struct({
    'a-b': u8,
    "it's": u16,
    'x "y"': u32,
    constructor: u64,
    nested: struct({ v: array(u16, 3), name: cstring(6) }),
    raw: bytes(3),
  });
  const value = {
    'a-b': 7,
    "it's": 0x1234,
    'x "y"': 0xdeadbeef,
    constructor: 2n ** 60n + 5n,
    nested: { v: [1, 2, 3], name: 'ebpf' },
    raw: new Uint8Array([9, 8, 7]),
  };
  const encoded = encode(codec, value, HOST_BYTE_ORDER);
  const decoded = decode(codec, encoded, HOST_BYTE_ORDER);
  expect(decoded).toEqual(value);
  expect(Object.keys(decoded)).toEqual(Object.keys(value));
  // each read is a new object with values of its own
  const again = decode(codec, encoded, HOST_BYTE_ORDER);
  expect(again).not.toBe(decoded);
  expect(again.raw).not.toBe(decoded.raw);
  expect(decode(struct({}), new Uint8Array(0), HOST_BYTE_ORDER)).toEqual({});
});

// Built-in scalar fields are read in place by the struct's own code (a DataView getter), not by
// the codec's read: the values must be the codec's, in both byte orders, at any offset.
it.each(['little', 'big'] as const)(
  'a struct reads built-in scalar fields as their codecs do (%s endian)',
  (order) => {
    const fields = {
      a: u8,
      b: i8,
      c: u16,
      d: i16,
      e: u32,
      f: i32,
      g: f32,
      h: f64,
      i: bool,
      j: be16,
      k: be32,
      l: u64,
      m: i64,
      n: u64AsNumber,
      o: i64AsNumber,
    };
    const value = {
      a: 250,
      b: -3,
      c: 0xfffe,
      d: -2,
      e: 0xfffffffe,
      f: -7,
      g: 1.5,
      h: -0.1,
      i: true,
      j: 0x1234,
      k: 0x12345678,
      l: 2n ** 64n - 2n,
      m: -(2n ** 63n),
      n: 2 ** 53 - 1,
      o: -(2 ** 40),
    };
    for (const packed of [false, true]) {
      const codec = struct(fields, { packed });
      const encoded = encode(codec, value, order);
      // each field as its own codec reads it at the struct's offset
      const view = new DataView(encoded.buffer);
      for (const [name, c] of Object.entries(fields)) {
        expect(c.read(view, codec.offsets[name as keyof typeof fields], order)).toEqual(
          value[name as keyof typeof value],
        );
      }
      // at an offset of a larger buffer, and twice on one view (a 64-bit word view is made then)
      const at = new Uint8Array(encoded.length + 8);
      at.set(encoded, 8);
      const shifted = new DataView(at.buffer);
      for (let i = 0; i < 3; i++) expect(codec.read(shifted, 8, order)).toEqual(value);
      expect(decode(codec, encoded, order)).toEqual(value);
    }
  },
);

// A perf sample's payload starts 4 bytes past an 8-aligned record: its u64 fields are read from
// their 32-bit halves (not the word view made for an 8-aligned view), in both byte orders, and
// past the view's end the read throws as the DataView getter does.
it.each(['little', 'big'] as const)('a struct reads u64/i64 fields at 4 mod 8 (%s endian)', (order) => {
  const codec = struct({ seq: u64, delta: i64, lo: u32 });
  const values = [
    { seq: 2n ** 64n - 1n, delta: -1n, lo: 1 },
    { seq: 0x8000000000000001n, delta: -(2n ** 63n), lo: 2 },
    { seq: 0x00000001fffffffen, delta: 2n ** 63n - 1n, lo: 3 },
  ];
  const stride = 32;
  const bytes = new Uint8Array(4 + stride * values.length);
  for (const [i, v] of values.entries()) bytes.set(encode(codec, v, order), 4 + i * stride);
  const view = new DataView(bytes.buffer, 0, bytes.length);
  // several times on one view, as a reader passes its mapping on every call
  for (let round = 0; round < 3; round++) {
    for (const [i, v] of values.entries()) expect(codec.read(view, 4 + i * stride, order)).toEqual(v);
  }
  expect(() => codec.read(view, bytes.length - 4, order)).toThrow(RangeError);
});

// The word view of an 8-aligned view is made on its second read in a row and used while that
// view comes back; any other view, a view not 8-aligned in its buffer, an index that is no int32
// and a detached buffer take the 32-bit halves (which check bounds and throw as DataView does).
it('a struct reads u64/i64 fields right whichever views come in turn', () => {
  const order = HOST_BYTE_ORDER;
  const codec = struct({ seq: u64, delta: i64 });
  const valueAt = (seq: bigint, at: number) => ({ seq: seq + BigInt(at), delta: -(seq >> 1n) - BigInt(at) });
  const make = (start: number, seq: bigint) => {
    const buffer = new ArrayBuffer(start + 32);
    const view = new DataView(buffer, start, 32);
    for (const at of [0, 16]) codec.write(view, at, valueAt(seq, at), 'v', order);
    return view;
  };
  const seqs = new Map<DataView, bigint>();
  const view = (start: number, seq: bigint) => {
    const v = make(start, seq);
    seqs.set(v, seq);
    return v;
  };
  const a = view(0, 2n ** 63n + 1n);
  const b = view(8, 2n ** 40n);
  const odd = view(4, 2n ** 64n - 100n); // 4 mod 8 in its buffer: never a word view
  const expectAt = (view: DataView, seq: bigint) => {
    for (const at of [0, 16]) expect(codec.read(view, at, order)).toEqual(valueAt(seq, at));
  };
  for (const turn of [
    [a, a, a, b, b, a, b, a],
    [odd, odd, odd, a, a, odd],
  ]) {
    for (const v of turn) expectAt(v, seqs.get(v)!);
  }
  // a's word view is cached now: offsets that are no int32 index, or past the end, still throw
  expectAt(a, 2n ** 63n + 1n);
  expect(() => codec.read(a, 2 ** 32 + 8, order)).toThrow(RangeError);
  expect(() => codec.read(a, 24, order)).toThrow(RangeError);
  // a detached buffer's word view is empty: the read throws instead of reading stale words
  structuredClone(a.buffer, { transfer: [a.buffer] });
  expect(() => codec.read(a, 0, order)).toThrow(TypeError);
});

// Every u64/i64 read ends in one element load: of the word view, or of the scratch words the
// value's two halves are copied into first (another byte order, an offset 4 mod 8, a view seen
// once). The halves must land in the host's order whatever order the value was written in.
it('a struct reads u64/i64 fields whose halves differ, in either byte order, at any offset', () => {
  const codec = struct({ seq: u64, delta: i64 });
  const values = [
    { seq: 0x0102030405060708n, delta: -0x0102030405060708n },
    { seq: 2n ** 64n - 2n, delta: -(2n ** 63n) },
    { seq: 0xffffffffn, delta: 2n ** 32n },
  ];
  for (const order of ['little', 'big'] as const) {
    for (const start of [0, 4, 8]) {
      const view = new DataView(new ArrayBuffer(start + 16 * values.length + 8), start);
      for (const [i, v] of values.entries()) codec.write(view, i * 16, v, 'v', order);
      // several rounds on the one view: its word view is made on the second and used after
      for (let round = 0; round < 3; round++) {
        for (const [i, v] of values.entries())
          expect(codec.read(view, i * 16, order), `${order} ${start}`).toEqual(v);
      }
      expect(codec.read(view, 4, order).seq).toBe(
        order === 'little'
          ? BigInt(view.getUint32(4, true)) | (BigInt(view.getUint32(8, true)) << 32n)
          : (BigInt(view.getUint32(4, false)) << 32n) | BigInt(view.getUint32(8, false)),
      );
    }
  }
});
