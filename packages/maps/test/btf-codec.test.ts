import { BtfBuilder } from '@ts-ebpf/btf';
import { btfLoad, close } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  array,
  BpfMap,
  btfCodec,
  type Codec,
  CodecError,
  cstring,
  decode,
  encode,
  MapType,
  struct,
  Update,
  u8,
  u32,
  u64,
} from '../src/index.js';

// The layouts below are little-endian ones; codecs-byte-order.test.ts runs both orders.
const encodeLE = <T>(c: Codec<T>, v: T) => encode(c, v, 'little');
const decodeLE = <T>(c: Codec<T>, b: Uint8Array) => decode(c, b, 'little');

function sample() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const uchar = b.int('unsigned char', 1);
  const char = b.int('char', 1, { char: true });
  const u32t = b.typedef('__u32', b.int('unsigned int', 4));
  const u64t = b.int('unsigned long long', 8);
  const color = b.enum('color', { RED: 0, GREEN: 1 });
  const value = b.struct('value', [
    { name: 'a', type: uchar },
    { name: 'b', type: b.const(u32t) },
    { name: 'name', type: b.array(char, 7, int) },
    { name: 'c', type: u64t },
    { name: 'color', type: color },
    { name: 'pts', type: b.array(int, 2, int) },
  ]);
  const bits = b.struct('bits', [{ name: 'x', type: int, bitOffset: 0, bitfieldSize: 3 }]);
  return { b, int, value, bits };
}

describe('BTF-derived codecs', () => {
  it('match the hand-written struct layout', () => {
    const { b, value } = sample();
    const fromBtf = btfCodec(b, value);
    const manual = struct({ a: u8, b: u32, name: cstring(7), c: u64, color: u32, pts: array(u32, 2) });
    expect(fromBtf.size).toBe(manual.size);
    const v = { a: 1, b: 2, name: 'abc', c: 3n, color: 1, pts: [4, 5] };
    expect(encodeLE(fromBtf, v)).toEqual(encodeLE(manual, v));
    expect(decodeLE(fromBtf, encodeLE(manual, v))).toEqual(v);
  });

  it("read clang's char arrays as text (char is a SIGNED int named char there), signed and unsigned char arrays as numbers", () => {
    // what clang-19 -g writes for `struct ev { char comm[4]; signed char s[2]; unsigned char raw[2]; }`
    const b = new BtfBuilder();
    const index = b.int('__ARRAY_SIZE_TYPE__', 4);
    const ev = b.struct('ev', [
      { name: 'comm', type: b.array(b.int('char', 1, { signed: true }), 4, index) },
      { name: 's', type: b.array(b.int('signed char', 1, { signed: true }), 2, index) },
      { name: 'raw', type: b.array(b.int('unsigned char', 1), 2, index) },
    ]);
    const bytes = Uint8Array.of(0x6c, 0x73, 0, 0, 0xff, 1, 0xfe, 2);
    expect(decodeLE(btfCodec(b, ev), bytes)).toEqual({ comm: 'ls', s: [-1, 1], raw: [254, 2] });
  });

  it('refuse bitfields with a CodecError naming the member', () => {
    const { b, bits } = sample();
    expect(() => btfCodec(b, bits)).toThrow(CodecError);
    expect(() => btfCodec(b, bits)).toThrow(/\.x: bitfields/);
  });
});

describeKernel('BTF-described maps', () => {
  it('a map created with BTF key/value ids round-trips through a BTF-derived codec', () => {
    const { b, int, value } = sample();
    const btfFd = btfLoad({ btf: b.toBytes(), logSize: 0 });
    try {
      using m = BpfMap.create({
        type: MapType.HASH,
        key: btfCodec(b, int) as typeof u32,
        value: btfCodec(b, value),
        maxEntries: 4,
        btf: { fd: btfFd, keyTypeId: int, valueTypeId: value },
      });
      const v = { a: 9, b: 8, name: 'xyz', c: 7n, color: 0, pts: [-1, 2] };
      m.set(-3, v);
      expect(m.get(-3)).toEqual(v);
      expect(m.info().btfValueTypeId).toBe(value);
    } finally {
      close(btfFd);
    }
  });

  it('Update.LOCK copies values that hold a bpf_spin_lock under the lock', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const uint = b.int('unsigned int', 4);
    const lock = b.struct('bpf_spin_lock', [{ name: 'val', type: uint }]);
    const value = b.struct('locked', [
      { name: 'lock', type: lock },
      { name: 'n', type: uint },
    ]);
    const btfFd = btfLoad({ btf: b.toBytes(), logSize: 0 });
    try {
      using m = BpfMap.create({
        type: MapType.HASH,
        key: u32,
        value: struct({ lock: u32, n: u32 }),
        maxEntries: 2,
        btf: { fd: btfFd, keyTypeId: int, valueTypeId: value },
      });
      m.set(1, { lock: 0, n: 5 });
      m.set(1, { lock: 0, n: 6 }, Update.LOCK | Update.EXIST);
      expect(m.get(1, Update.LOCK)).toEqual({ lock: 0, n: 6 });
    } finally {
      close(btfFd);
    }
  });
});
