/**
 * A growing byte buffer that text is written into and decoded from once. `format` of a large
 * program writes a million short lines; building them as JS strings allocates several strings
 * per line, all alive until the end, and garbage collection dominated. Writing bytes and
 * decoding once allocates one string.
 * @module
 */

import { EbpfError } from '@ts-ebpf/uapi';

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
// This package is pure and compiles without DOM or Node typings; every runtime it supports has TextDecoder.
const Decoder = (globalThis as { TextDecoder?: new (label: string) => Utf8Decoder }).TextDecoder;
const utf8 = Decoder ? new Decoder('utf-8') : undefined;

/** Short ASCII results are turned into strings directly: cheaper than a decoder call. */
const DIRECT_MAX = 128;

/** Text written as bytes: ASCII directly, anything else as UTF-8. */
export class TextSink {
  private buf: Uint8Array;
  private len = 0;
  private ascii = true;
  private readonly digits = new Uint8Array(24);

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.len = 0;
    this.ascii = true;
  }

  private grow(extra: number): void {
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** One ASCII character by code. */
  char(c: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = c;
  }

  /** A string: ASCII as is, other characters as UTF-8. */
  text(s: string): void {
    const n = s.length;
    if (this.len + n * 3 > this.buf.length) this.grow(n * 3);
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

  /** An integer in decimal, with `-` when negative. */
  int(n: number): void {
    if (n < 0) {
      this.char(45);
      n = -n;
    }
    if (n < 10) {
      this.char(48 + n);
      return;
    }
    if (!Number.isSafeInteger(n)) {
      this.text(String(n));
      return;
    }
    const d = this.digits;
    let k = d.length;
    while (n > 0) {
      const q = Math.floor(n / 10);
      d[--k] = 48 + (n - q * 10);
      n = q;
    }
    const count = d.length - k;
    if (this.len + count > this.buf.length) this.grow(count);
    this.buf.set(d.subarray(k), this.len);
    this.len += count;
  }

  /** Everything written, as a string. */
  toString(): string {
    const bytes = this.buf.subarray(0, this.len);
    if (this.ascii && this.len <= DIRECT_MAX) {
      return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
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
