import { ipv4Text, ipv6Text } from '@ts-ebpf/uapi';
import { CodecError } from '../errors.js';
import type { Codec } from './codec.js';

function bytesOf(d: DataView, o: number, n: number): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset + o, n);
}

function checkLength(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new CodecError(what, `length ${n} is not a non-negative integer`);
  return n;
}

/** Exactly `n` raw bytes, as a `Uint8Array` (reads return a copy). */
export function bytes(n: number): Codec<Uint8Array> {
  checkLength(n, 'bytes');
  return {
    name: `bytes(${n})`,
    size: n,
    align: 1,
    write: (d, o, v, p) => {
      if (!(v instanceof Uint8Array) || v.byteLength !== n) {
        const got = v instanceof Uint8Array ? `${v.byteLength} bytes` : typeof v;
        throw new CodecError(p, `expected ${n} bytes (Uint8Array), got ${got}`);
      }
      bytesOf(d, o, n).set(v);
    },
    read: (d, o) => bytesOf(d, o, n).slice(),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A UTF-8 string in a fixed `char[n]`, as C keeps one: NUL-terminated and zero-filled, or, like
 * `strncpy` leaves it, filling all n bytes with no NUL. Reads stop at the first NUL or at the end;
 * writes take at most n bytes of text (n bytes: no NUL, as such a value reads back), so every
 * value read can be written back.
 */
export function cstring(n: number): Codec<string> {
  checkLength(n, 'cstring');
  return {
    name: `cstring(${n})`,
    size: n,
    align: 1,
    write: (d, o, v, p) => {
      if (typeof v !== 'string') throw new CodecError(p, `${typeof v} is not a string`);
      const target = bytesOf(d, o, n);
      const { read, written } = encoder.encodeInto(v, target);
      if (read !== v.length)
        throw new CodecError(p, `string of ${encoder.encode(v).length} bytes does not fit char[${n}]`);
      target.fill(0, written);
    },
    read: (d, o) => {
      const b = bytesOf(d, o, n);
      const end = b.indexOf(0);
      return decoder.decode(end < 0 ? b : b.subarray(0, end));
    },
  };
}

/** An IPv4 address in network order (4 bytes), as dotted text `'10.0.0.1'`. */
export const ipv4: Codec<string> = {
  name: 'ipv4',
  size: 4,
  align: 1,
  write: (d, o, v, p) => {
    const parts = typeof v === 'string' ? v.split('.') : [];
    if (parts.length !== 4) throw new CodecError(p, `${JSON.stringify(v)} is not a dotted IPv4 address`);
    for (let i = 0; i < 4; i++) {
      const s = parts[i]!;
      const x = Number(s);
      if (!/^\d{1,3}$/.test(s) || x > 255)
        throw new CodecError(p, `${JSON.stringify(v)} is not an IPv4 address`);
      d.setUint8(o + i, x);
    }
  },
  read: (d, o) => ipv4Text(bytesOf(d, o, 4)),
};

function parseIpv6(v: string, p: string): number[] {
  const bad = () => new CodecError(p, `${JSON.stringify(v)} is not an IPv6 address`);
  if (typeof v !== 'string') throw bad();
  let text = v;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 (`::ffff:1.2.3.4`): rewrite its four bytes as two hex groups.
    const storage = new ArrayBuffer(4);
    const b = new Uint8Array(storage);
    ipv4.write(new DataView(storage), 0, text.slice(lastColon + 1), p, 'big');
    const hi = ((b[0]! << 8) | b[1]!).toString(16);
    const lo = ((b[2]! << 8) | b[3]!).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const groups = [...head, ...rest].map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    return Number.parseInt(g, 16);
  });
  const total = groups.length;
  if (halves.length === 1 ? total !== 8 : total > 7) throw bad();
  const zeros = new Array<number>(8 - total).fill(0);
  const hs = head.length;
  return [...groups.slice(0, hs), ...zeros, ...groups.slice(hs)];
}

/** An IPv6 address in network order (16 bytes), as RFC 5952 text `'fe80::1'`. */
export const ipv6: Codec<string> = {
  name: 'ipv6',
  size: 16,
  align: 1,
  write: (d, o, v, p) => {
    const words = parseIpv6(v, p);
    for (let i = 0; i < 8; i++) d.setUint16(o + 2 * i, words[i]!, false);
  },
  read: (d, o) => ipv6Text(bytesOf(d, o, 16)),
};

/** A 6-byte MAC address as `'aa:bb:cc:dd:ee:ff'`. */
export const mac: Codec<string> = {
  name: 'mac',
  size: 6,
  align: 1,
  write: (d, o, v, p) => {
    const parts = typeof v === 'string' ? v.split(/[:-]/) : [];
    if (parts.length !== 6 || !parts.every((x) => /^[0-9a-fA-F]{2}$/.test(x))) {
      throw new CodecError(p, `${JSON.stringify(v)} is not a MAC address`);
    }
    for (let i = 0; i < 6; i++) d.setUint8(o + i, Number.parseInt(parts[i]!, 16));
  },
  read: (d, o) => {
    const out: string[] = [];
    for (let i = 0; i < 6; i++)
      out.push(
        d
          .getUint8(o + i)
          .toString(16)
          .padStart(2, '0'),
      );
    return out.join(':');
  },
};
