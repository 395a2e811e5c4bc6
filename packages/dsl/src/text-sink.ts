/**
 * A growing byte buffer that text is written into and decoded from once. `format` of a large
 * program writes a million short lines; building them as JS strings allocates several strings
 * per line, all alive until the end, and garbage collection dominated. Writing bytes and
 * decoding once allocates one string. Numbers are written as digits straight into the buffer
 * (no `toString`, no BigInt for 64-bit hex).
 * @module
 */

import { EbpfError } from '@ts-ebpf/uapi';

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
// This package is pure and compiles without DOM or Node typings; every runtime it supports has TextDecoder.
const Decoder = (globalThis as { TextDecoder?: new (label: string) => Utf8Decoder }).TextDecoder;
const utf8 = Decoder ? new Decoder('utf-8') : undefined;

interface NodeBufferClass {
  from(bytes: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'latin1'): string };
}
/** Node's buffer class where the runtime has one: a global looked up, not imported (this package runs anywhere). */
const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;

/** Short ASCII results are turned into strings directly: cheaper than a decoder call. */
const DIRECT_MAX = 128;

/**
 * Bytes that {@link TextSink.reserve} makes room for: enough for every fixed part of one line
 * of assembler (its operators and at most eight 32-bit numbers), which are written without
 * further checks. Text of any length (names, other numbers) makes room for itself.
 */
export const LINE_ROOM = 256;

/** The bytes of an ASCII string, for writing with {@link TextSink.lit}. */
export function asciiBytes(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x80) throw new EbpfError(`asciiBytes: ${JSON.stringify(s)} is not ASCII`);
    bytes[k] = c;
  }
  return bytes;
}

/**
 * Text written as bytes: ASCII directly, anything else as UTF-8. Before each line the writer
 * calls {@link reserve}; {@link char}, {@link lit}, {@link int} and {@link hex64} then write
 * without checking room, {@link text} checks its own (and leaves {@link LINE_ROOM} after it).
 */
export class TextSink {
  private buf: Uint8Array;
  private len = 0;
  private ascii = true;

  constructor(capacity = LINE_ROOM) {
    this.buf = new Uint8Array(Math.max(capacity, LINE_ROOM));
  }

  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.len = 0;
    this.ascii = true;
  }

  /** Makes room for {@link LINE_ROOM} bytes. */
  reserve(): void {
    if (this.len + LINE_ROOM > this.buf.length) this.grow(LINE_ROOM);
  }

  private grow(extra: number): void {
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** One ASCII character by code (room reserved). */
  char(c: number): void {
    this.buf[this.len++] = c;
  }

  /** ASCII bytes made by {@link asciiBytes} (room reserved). */
  lit(bytes: Uint8Array): void {
    const b = this.buf;
    const o = this.len;
    const n = bytes.length;
    for (let k = 0; k < n; k++) b[o + k] = bytes[k]!;
    this.len = o + n;
  }

  /** A string: ASCII as is, other characters as UTF-8. */
  text(s: string): void {
    const n = s.length;
    if (this.len + n * 3 + LINE_ROOM > this.buf.length) this.grow(n * 3 + LINE_ROOM);
    const b = this.buf;
    let o = this.len;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x80) {
        b[o++] = c;
        continue;
      }
      o = this.wide(s, k, o);
      if (isHighSurrogatePair(s, k)) k++;
    }
    this.len = o;
  }

  /** Writes the non-ASCII character at `k` as UTF-8 at `o`; returns the new offset. */
  private wide(s: string, k: number, o: number): number {
    this.ascii = false;
    const b = this.buf;
    let cp = s.charCodeAt(k);
    if (isHighSurrogatePair(s, k)) cp = 0x10000 + ((cp - 0xd800) << 10) + (s.charCodeAt(k + 1) - 0xdc00);
    else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x800) {
      b[o++] = 0xc0 | (cp >> 6);
    } else if (cp < 0x10000) {
      b[o++] = 0xe0 | (cp >> 12);
      b[o++] = 0x80 | ((cp >> 6) & 0x3f);
    } else {
      b[o++] = 0xf0 | (cp >> 18);
      b[o++] = 0x80 | ((cp >> 12) & 0x3f);
      b[o++] = 0x80 | ((cp >> 6) & 0x3f);
    }
    b[o++] = 0x80 | (cp & 0x3f);
    return o;
  }

  /** An integer in decimal, with `-` when negative; other numbers as `String(n)` prints them. */
  int(n: number): void {
    if (n < 0) {
      this.char(45);
      n = -n;
    }
    if (n < 100 && n >>> 0 === n) {
      // Registers, most offsets and immediates: no division.
      const b = this.buf;
      if (n >= 10) {
        const tens = (n * 205) >> 11; // n / 10 for n < 1029
        b[this.len++] = 48 + tens;
        n -= tens * 10;
      }
      b[this.len++] = 48 + n;
      return;
    }
    if (n >>> 0 !== n) {
      this.text(String(n));
      return;
    }
    // A 32-bit unsigned integer (every field of an instruction): digits written straight into
    // the buffer (room reserved), last first.
    const count = decimalDigits(n);
    const b = this.buf;
    let o = this.len + count;
    this.len = o;
    while (n >= 10) {
      const q = (n / 10) >>> 0;
      b[--o] = 48 + n - q * 10;
      n = q;
    }
    b[--o] = 48 + n;
  }

  /** An unsigned 64-bit value given as its high and low 32-bit halves, in lower-case hex without leading zeros (room reserved). */
  hex64(high: number, low: number): void {
    if (high === 0) {
      this.hex(low, hexDigits(low));
      return;
    }
    this.hex(high, hexDigits(high));
    this.hex(low, 8);
  }

  /** The low `count` hex digits of the 32-bit unsigned `n`. */
  private hex(n: number, count: number): void {
    const b = this.buf;
    let o = this.len + count;
    this.len = o;
    for (let k = 0; k < count; k++) {
      const v = n & 0xf;
      b[--o] = v < 10 ? 48 + v : 87 + v;
      n >>>= 4;
    }
  }

  /** Everything written, as a string. */
  toString(): string {
    const bytes = this.buf.subarray(0, this.len);
    if (this.ascii && this.len <= DIRECT_MAX) {
      return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    // ASCII is its own Latin-1: Node copies Latin-1 bytes into a string, where UTF-8 decoding
    // reads each byte (measured 20-30 times faster for a 22 MB program text).
    if (this.ascii && NodeBuffer)
      return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    if (utf8) return utf8.decode(bytes);
    if (!this.ascii) throw new EbpfError('formatting non-ASCII labels needs a runtime with TextDecoder');
    let out = '';
    for (let k = 0; k < bytes.length; k += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(k, k + 8192) as unknown as number[]);
    }
    return out;
  }
}

function isHighSurrogatePair(s: string, k: number): boolean {
  const c = s.charCodeAt(k);
  if (c < 0xd800 || c > 0xdbff) return false;
  const next = s.charCodeAt(k + 1);
  return next >= 0xdc00 && next <= 0xdfff;
}

/** Number of decimal digits of a 32-bit unsigned integer. */
function decimalDigits(n: number): number {
  if (n < 100000) {
    if (n < 100) return n < 10 ? 1 : 2;
    return n < 1000 ? 3 : n < 10000 ? 4 : 5;
  }
  if (n < 10000000) return n < 1000000 ? 6 : 7;
  return n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** Number of hex digits of a 32-bit unsigned integer (1 for 0). */
function hexDigits(n: number): number {
  return n === 0 ? 1 : 8 - (Math.clz32(n) >> 2);
}
