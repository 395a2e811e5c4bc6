import { describe, expect, it } from 'vitest';
import {
  describeValue,
  EbpfError,
  HOST_BYTE_ORDER,
  HOST_LITTLE_ENDIAN,
  isLittleEndian,
} from '../src/index.js';

describe('EbpfError', () => {
  it('names itself after the subclass and keeps its cause', () => {
    class SubError extends EbpfError {}
    const inner = new RangeError('inner');
    const e = new SubError('outer', { cause: inner });
    expect(e).toBeInstanceOf(EbpfError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SubError');
    expect(e.cause).toBe(inner);
    expect(new EbpfError('plain').cause).toBeUndefined();
  });
});

describe('byte order', () => {
  it('matches what a DataView reads from this CPU', () => {
    const probe = new Uint32Array([0x01020304]);
    const first = new Uint8Array(probe.buffer)[0];
    expect(HOST_LITTLE_ENDIAN).toBe(first === 0x04);
    expect(HOST_BYTE_ORDER).toBe(first === 0x04 ? 'little' : 'big');
    expect(isLittleEndian('little')).toBe(true);
    expect(isLittleEndian('big')).toBe(false);
  });
});

describe('EbpfError across module copies', () => {
  it('is recognised by brand when another copy of the class made it (ESM and CJS builds)', () => {
    // a second copy of the class, as a program that both imports and requires the package has
    const brand = Symbol.for('@ts-ebpf/uapi:EbpfError');
    class OtherCopy extends Error {
      readonly [brand] = true;
    }
    class Sub extends EbpfError {}
    expect(new OtherCopy('x')).toBeInstanceOf(EbpfError);
    expect(new Error('plain')).not.toBeInstanceOf(EbpfError);
    expect(new OtherCopy('x')).not.toBeInstanceOf(Sub);
    expect(new Sub('y')).toBeInstanceOf(Sub);
    expect(new EbpfError('z')).not.toBeInstanceOf(Sub);
    expect(null).not.toBeInstanceOf(EbpfError);
  });
});

describe('describeValue', () => {
  it('quotes strings, marks bigints and writes anything else as String does', () => {
    expect(describeValue('2')).toBe('"2"');
    expect(describeValue('a "b"')).toBe('"a \\"b\\""');
    expect(describeValue(5n)).toBe('5n');
    expect(describeValue(-1.5)).toBe('-1.5');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue({})).toBe('[object Object]');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
  });
});
