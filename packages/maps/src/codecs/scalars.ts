import { describeValue, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { CodecError } from '../errors.js';
import { withArticle } from './article.js';
import type { Codec } from './codec.js';

function intCodec(name: string, size: 1 | 2 | 4, signed: boolean): Codec<number> {
  const min = signed ? -(2 ** (size * 8 - 1)) : 0;
  const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  const check = (v: number, path: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new CodecError(
        path,
        `${describeValue(v)} is not ${withArticle(name)} (integer in ${min}..${max})`,
      );
    }
  };
  const make = (
    set: (d: DataView, o: number, v: number, le: boolean) => void,
    get: (d: DataView, o: number, le: boolean) => number,
  ): Codec<number> => ({
    name,
    size,
    align: size,
    write: (d, o, v, p, order) => {
      check(v, p);
      set(d, o, v, order === 'little');
    },
    read: (d, o, order) => get(d, o, order === 'little'),
  });
  if (size === 1) {
    return make(
      (d, o, v) => d.setUint8(o, v & 0xff),
      signed ? (d, o) => d.getInt8(o) : (d, o) => d.getUint8(o),
    );
  }
  if (size === 2) {
    return make(
      (d, o, v, le) => d.setUint16(o, v & 0xffff, le),
      signed ? (d, o, le) => d.getInt16(o, le) : (d, o, le) => d.getUint16(o, le),
    );
  }
  return make(
    (d, o, v, le) => d.setUint32(o, v >>> 0, le),
    signed ? (d, o, le) => d.getInt32(o, le) : (d, o, le) => d.getUint32(o, le),
  );
}

/**
 * A 64-bit typed array over the DataView a codec was given the last two times in a row, for
 * views whose start is 8-aligned (else undefined). The map layer passes one value view on every
 * call, and an element load or store of a BigUint64Array compiles inline where DataView's BigInt
 * accessors are calls (about 30 ns each on Node 20). A view seen once makes no array, so code
 * that passes a new view each time allocates nothing.
 */
function wordCache(signed: boolean): (d: DataView) => BigInt64Array | BigUint64Array | undefined {
  let last: DataView | undefined;
  let cached: DataView | undefined;
  let words: BigInt64Array | BigUint64Array | undefined;
  return (d) => {
    if (d === cached) return words;
    if (d !== last) {
      last = d;
      return undefined;
    }
    cached = d;
    words =
      (d.byteOffset & 7) === 0
        ? new (signed ? BigInt64Array : BigUint64Array)(
            d.buffer as ArrayBuffer,
            d.byteOffset,
            d.byteLength >> 3,
          )
        : undefined;
    return words;
  };
}

function int64Codec(name: string, signed: boolean): Codec<bigint> {
  const min = signed ? -(1n << 63n) : 0n;
  const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  const wordsOf = wordCache(signed);
  // In range exactly when wrapping to 64 bits changes nothing: one inlined operation where two
  // comparisons with min and max are two builtin calls (BigIntLessThan, ~5 ns each on Node 20).
  const fits = signed
    ? (v: bigint) => BigInt.asIntN(64, v) === v
    : (v: bigint) => BigInt.asUintN(64, v) === v;
  return {
    name,
    size: 8,
    align: 8,
    write: (d, o, v, p, order) => {
      if (typeof v !== 'bigint' || !fits(v)) {
        throw new CodecError(p, `${describeValue(v)} is not ${withArticle(name)} (bigint in ${min}..${max})`);
      }
      if (order === HOST_BYTE_ORDER && (o & 7) === 0 && o === (o | 0) && o >= 0) {
        const words = wordsOf(d);
        // a detached buffer's array has length 0: the DataView below then throws
        if (words !== undefined && o >> 3 < words.length) {
          words[o >> 3] = v;
          return;
        }
      }
      if (signed) d.setBigInt64(o, v, order === 'little');
      else d.setBigUint64(o, v, order === 'little');
    },
    read: (d, o, order) => {
      if (order === HOST_BYTE_ORDER && (o & 7) === 0 && o === (o | 0) && o >= 0) {
        const words = wordsOf(d);
        if (words !== undefined && o >> 3 < words.length) return words[o >> 3]!;
      }
      return signed ? d.getBigInt64(o, order === 'little') : d.getBigUint64(o, order === 'little');
    },
  };
}

/** Unsigned 8-bit integer. */
export const u8: Codec<number> = intCodec('u8', 1, false);
/** Unsigned 16-bit integer, in the order the map layer passes (the host's). */
export const u16: Codec<number> = intCodec('u16', 2, false);
/** Unsigned 32-bit integer, in the order passed. */
export const u32: Codec<number> = intCodec('u32', 4, false);
/** Signed 8-bit integer. */
export const i8: Codec<number> = intCodec('i8', 1, true);
/** Signed 16-bit integer. */
export const i16: Codec<number> = intCodec('i16', 2, true);
/** Signed 32-bit integer. */
export const i32: Codec<number> = intCodec('i32', 4, true);
/** Unsigned 64-bit integer as a bigint. */
export const u64: Codec<bigint> = int64Codec('u64', false);
/** Signed 64-bit integer as a bigint. */
export const i64: Codec<bigint> = int64Codec('i64', true);

function bigEndian(native: Codec<number>): Codec<number> {
  const size = native.size;
  return {
    name: `be${size * 8}`,
    size,
    align: size,
    write: (d, o, v, p) => {
      native.write(d, o, v, p, 'big');
      if (size === 2) d.setUint16(o, v, false);
      else d.setUint32(o, v, false);
    },
    read: size === 2 ? (d, o) => d.getUint16(o, false) : (d, o) => d.getUint32(o, false),
  };
}

/** Big-endian (network order) unsigned 16-bit integer, e.g. a port. */
export const be16: Codec<number> = bigEndian(u16);
/** Big-endian (network order) unsigned 32-bit integer. */
export const be32: Codec<number> = bigEndian(u32);

function floatCodec(name: string, size: 4 | 8): Codec<number> {
  return {
    name,
    size,
    align: size,
    write: (d, o, v, p, order) => {
      if (typeof v !== 'number') throw new CodecError(p, `${describeValue(v)} is not a number (${name})`);
      if (size === 4) d.setFloat32(o, v, order === 'little');
      else d.setFloat64(o, v, order === 'little');
    },
    read:
      size === 4
        ? (d, o, order) => d.getFloat32(o, order === 'little')
        : (d, o, order) => d.getFloat64(o, order === 'little'),
  };
}

/** IEEE-754 single precision. */
export const f32: Codec<number> = floatCodec('f32', 4);
/** IEEE-754 double precision. */
export const f64: Codec<number> = floatCodec('f64', 8);

/** A C `bool` (one byte, 0 or 1; any non-zero byte reads as true). */
export const bool: Codec<boolean> = {
  name: 'bool',
  size: 1,
  align: 1,
  write: (d, o, v, p) => {
    if (typeof v !== 'boolean') throw new CodecError(p, `${describeValue(v)} is not a boolean`);
    d.setUint8(o, v ? 1 : 0);
  },
  read: (d, o) => d.getUint8(o) !== 0,
};
