import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  array,
  be16,
  be32,
  type Codec,
  decode,
  encode,
  f32,
  f64,
  i16,
  i32,
  i64,
  ipv4,
  lpmKey,
  perCpu,
  socketValue,
  struct,
  u8,
  u16,
  u32,
  u64,
} from '../src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const orders: readonly ByteOrder[] = ['little', 'big'];

// value, then its bytes little-endian and big-endian (from the C types' layouts).
const scalars: [Codec<number> | Codec<bigint>, number | bigint, string, string][] = [
  [u16, 0x1234, '3412', '1234'],
  [i16, -2, 'feff', 'fffe'],
  [u32, 0xdeadbeef, 'efbeadde', 'deadbeef'],
  [i32, -2, 'feffffff', 'fffffffe'],
  [u64, 0x0102030405060708n, '0807060504030201', '0102030405060708'],
  [i64, -5n, 'fbffffffffffffff', 'fffffffffffffffb'],
  [f32, 1.5, '0000c03f', '3fc00000'],
  [f64, -2, '00000000000000c0', 'c000000000000000'],
];

describe('codecs in both byte orders', () => {
  it('lay scalars out in the order asked for, and read them back', () => {
    for (const [codec, value, le, be] of scalars) {
      const c = codec as Codec<unknown>;
      expect(hex(encode(c, value, 'little')), `${c.name} little`).toBe(le);
      expect(hex(encode(c, value, 'big')), `${c.name} big`).toBe(be);
      expect(decode(c, Buffer.from(le, 'hex'), 'little')).toBe(value);
      expect(decode(c, Buffer.from(be, 'hex'), 'big')).toBe(value);
    }
  });

  it('lay structs, arrays, per-CPU values and LPM keys out in the order asked for', () => {
    const s = struct({ a: u8, b: u32, c: u16, d: u64 });
    const v = { a: 1, b: 2, c: 3, d: 4n };
    expect(hex(encode(s, v, 'big'))).toBe(`01000000000000020003000000000000${'0000000000000004'}`);
    expect(hex(encode(s, v, 'little'))).toBe(`01000000020000000300000000000000${'0400000000000000'}`);
    const arr = array(u16, 3);
    expect(hex(encode(arr, [1, 2, 3], 'big'))).toBe('000100020003');
    const pc = perCpu(u32, 2);
    expect(hex(encode(pc, [1, 2], 'big'))).toBe('00000001000000000000000200000000');
    const key = lpmKey(ipv4);
    expect(hex(encode(key, { prefixLen: 24, addr: '10.1.2.0' }, 'big'))).toBe('000000180a010200');
    expect(hex(encode(key, { prefixLen: 24, addr: '10.1.2.0' }, 'little'))).toBe('180000000a010200');
    for (const order of orders) {
      expect(decode(s, encode(s, v, order), order)).toEqual(v);
      expect(decode(pc, encode(pc, [7, 9], order), order)).toEqual([7, 9]);
      expect(decode(socketValue, encode(socketValue, 5, order), order)).toBe(5);
    }
    expect(hex(encode(socketValue, 5, 'big'))).toBe('0000000000000005');
  });

  it('keep network-order codecs in network order whatever the order asked for', () => {
    for (const order of orders) {
      expect(hex(encode(be16, 0x1234, order))).toBe('1234');
      expect(hex(encode(be32, 0x0a000001, order))).toBe('0a000001');
      expect(hex(encode(ipv4, '10.0.0.1', order))).toBe('0a000001');
      expect(decode(be32, Buffer.from('0a000001', 'hex'), order)).toBe(0x0a000001);
    }
  });

  it('reads a value written in one order differently in the other (nothing assumes the host)', () => {
    const b = encode(u32, 1, 'big');
    expect(decode(u32, b, 'little')).toBe(0x01000000);
    expect(decode(u32, encode(u32, 1, HOST_BYTE_ORDER), HOST_BYTE_ORDER)).toBe(1);
  });
});
