import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { array, bytes, cstring, decode, encode, struct, u8, u16, u32, u64 } from '../src/index.js';

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
