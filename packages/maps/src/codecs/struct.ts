import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { CodecError } from '../errors.js';
import type { Codec, Infer } from './codec.js';
import { readErrorAt } from './read-path.js';
import { i64AsNumber, readI64AsNumber, readU64AsNumber, u64AsNumber } from './safe-int64.js';
import { be16, be32, bool, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64 } from './scalars.js';

/** The fields of a struct codec, in declaration order. */
// biome-ignore lint/suspicious/noExplicitAny: Codec<T> is invariant in T, so no narrower type admits every codec.
export type Fields = Record<string, Codec<any>>;

/** The JS object a struct codec produces. */
export type StructOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** A struct codec also exposes its layout. */
export interface StructCodec<F extends Fields> extends Codec<StructOf<F>> {
  /** Byte offset of each field. */
  readonly offsets: { readonly [K in keyof F]: number };
}

/** Options of {@link struct}. */
export interface StructOptions {
  /** Like `__attribute__((packed))`: no padding, alignment 1. */
  packed?: boolean;
  /** Total size to pad to (at least the laid-out size), e.g. to match a kernel struct. */
  size?: number;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * A C struct: fields laid out in order with C alignment and padding (padding
 * bytes are written as zeros). Missing or extra fields are a `CodecError`.
 */
export function struct<F extends Fields>(fields: F, options: StructOptions = {}): StructCodec<F> {
  const names = Object.keys(fields);
  const offsets: Record<string, number> = {};
  let size = 0;
  let align = 1;
  for (const name of names) {
    const c = fields[name]!;
    const a = options.packed ? 1 : c.align;
    const at = alignUp(size, a);
    offsets[name] = at;
    size = at + c.size;
    align = Math.max(align, a);
  }
  let total = alignUp(size, align);
  if (options.size !== undefined) {
    if (options.size < total) throw new CodecError('struct', `size ${options.size} < laid-out size ${total}`);
    total = options.size;
  }
  return placed(
    names.map((n) => ({ name: n, codec: fields[n]!, offset: offsets[n]! })),
    total,
    align,
  ) as StructCodec<F>;
}

/** A field at a fixed byte offset (for layouts that come from BTF or a kernel header). */
export interface PlacedField {
  name: string;
  codec: Codec<unknown>;
  offset: number;
}

/**
 * A struct codec with explicit field offsets and total size; bytes no field covers are
 * written as zeros. {@link struct} computes the offsets; BTF-derived codecs give them.
 */
export function placed(fields: readonly PlacedField[], size: number, align = 1): StructCodec<Fields> {
  const covered = new Uint8Array(size);
  for (const f of fields) {
    if (f.offset < 0 || f.offset + f.codec.size > size) {
      throw new CodecError(
        f.name,
        `field at ${f.offset} (${f.codec.size} bytes) outside a ${size}-byte struct`,
      );
    }
    covered.fill(1, f.offset, f.offset + f.codec.size);
  }
  const gaps: [number, number][] = [];
  for (let i = 0; i < size; ) {
    if (covered[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < size && !covered[j]) j++;
    gaps.push([i, j]);
    i = j;
  }
  const known = new Set(fields.map((f) => f.name));
  const offsets: Record<string, number> = {};
  for (const f of fields) offsets[f.name] = f.offset;
  return {
    name: 'struct',
    size,
    align,
    offsets,
    write(d, o, v, p, order) {
      if (typeof v !== 'object' || v === null) throw new CodecError(p, `${String(v)} is not an object`);
      for (const f of fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x === undefined) throw new CodecError(`${p}.${f.name}`, 'missing field');
        f.codec.write(d, o + f.offset, x, `${p}.${f.name}`, order);
      }
      for (const k in v) if (!known.has(k)) throw new CodecError(`${p}.${k}`, 'unknown field');
      for (const [from, to] of gaps) for (let i = from; i < to; i++) d.setUint8(o + i, 0);
    },
    read: compiledRead(fields) ?? loopRead(fields),
  };
}

type StructRead = (d: DataView, o: number, order: ByteOrder) => StructOf<Fields>;

function loopRead(fields: readonly PlacedField[]): StructRead {
  return (d, o, order) => {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      try {
        out[f.name] = f.codec.read(d, o + f.offset, order);
      } catch (e) {
        throw readErrorAt(e, f.name);
      }
    }
    return out as StructOf<Fields>;
  };
}

// Built-in scalar codecs whose read the generated struct read writes out in place: a DataView
// getter (inlined by V8) with the byte order `le` the read was given, instead of a call to the
// codec's read. The codecs' own reads are closures shared by every struct and map that uses
// them, so what V8 learns and optimizes for them is shared too (one map's u64 values on other
// views made a ring's struct decode of a u64 field 1.5-2x slower).
const INLINE_READS = new Map<Codec<unknown>, (at: string, name: string) => string>([
  [u8, (at) => `d.getUint8(${at})`],
  [i8, (at) => `d.getInt8(${at})`],
  [u16, (at) => `d.getUint16(${at}, le)`],
  [i16, (at) => `d.getInt16(${at}, le)`],
  [u32, (at) => `d.getUint32(${at}, le)`],
  [i32, (at) => `d.getInt32(${at}, le)`],
  [f32, (at) => `d.getFloat32(${at}, le)`],
  [f64, (at) => `d.getFloat64(${at}, le)`],
  [bool, (at) => `d.getUint8(${at}) !== 0`],
  [be16, (at) => `d.getUint16(${at}, false)`],
  [be32, (at) => `d.getUint32(${at}, false)`],
  [u64AsNumber, (at, name) => `h.readU64AsNumber(d, ${at}, le, ${name})`],
  [i64AsNumber, (at, name) => `h.readI64AsNumber(d, ${at}, le, ${name})`],
  [u64, (at) => `big(d, ${at}, le, false)`],
  [i64, (at) => `big(d, ${at}, le, true)`],
]);

// The 64-bit bigint reads of a generated struct read. Every read ends in one element load of a
// 64-bit typed array: of a BigUint64Array (or BigInt64Array) over the view itself, for 8-aligned
// host-order values of a view passed twice in a row (as a ring reader or a map passes its one
// view on every call), made once; else of an 8-byte scratch array the value is first copied
// into (a perf sample's payload starts 4 bytes past an 8-aligned record, so its u64s are never
// 8-aligned in the mapping; a view seen once; another byte order). One load, whichever way the
// value came: TurboFan (Node 20's V8) keeps its 64 bits untagged until something reads the
// field, and allocates no bigint when nothing does (a callback that reads another field, inlined
// into a drain). Where the paths returned different values (the element, or the value composed
// of its halves by BigInt.asUintN), it merged them as tagged values, so every record allocated
// its bigint (about 33 bytes; a perf sample with a u64 field decoded in 54 ns against 33 with
// u64AsNumber, and 30 with this). Made per struct, in the generated code's scope, so that each
// struct's code has its own.
const BIG_READ = `
  let seen, cached, wu, ws;
  const host = h.hostLittle;
  const sw = new Uint32Array(2), su = new BigUint64Array(sw.buffer), ss = new BigInt64Array(sw.buffer);
  // big() holds the word view's path alone: the view compared with the cached one, the index
  // checked, the element loaded. With the caching below in it as well, a ring's drain decoding
  // a struct of three u64 fields that its callback compared took about twice as long, and one of
  // six u64 fields that it kept about 1.4 times.
  const big = (d, i, le, signed) => {
    let words = signed ? ss : su, at = 0;
    if (d === cached && le === host && (i & 7) === 0 && i === (i | 0) && i >= 0 && i >> 3 < wu.length) {
      words = signed ? ws : wu;
      at = i >> 3;
    } else copy(d, i, le);
    return words[at];
  };
  // Copies the 8 bytes at i into the scratch words, in the host's order (making the word view
  // of an 8-aligned view passed a second time in a row). The getters check the view's bounds,
  // as the 64-bit one would; a detached buffer's arrays have length 0 and its getters throw.
  const copy = (d, i, le) => {
    if (d !== cached && le === host && (i & 7) === 0 && i === (i | 0) && i >= 0) {
      if (d !== seen) seen = d;
      else if ((d.byteOffset & 7) === 0) {
        cached = d;
        const n = d.byteLength >> 3;
        wu = new BigUint64Array(d.buffer, d.byteOffset, n);
        ws = new BigInt64Array(d.buffer, d.byteOffset, n);
      }
    }
    // each order's halves at plain offsets (see safe-int64.ts)
    if (le) {
      sw[host ? 0 : 1] = d.getUint32(i, true);
      sw[host ? 1 : 0] = d.getUint32(i + 4, true);
    } else {
      sw[host ? 1 : 0] = d.getUint32(i, false);
      sw[host ? 0 : 1] = d.getUint32(i + 4, false);
    }
  };`;

const HELPERS = { readU64AsNumber, readI64AsNumber, readErrorAt, hostLittle: HOST_BYTE_ORDER === 'little' };

/**
 * The same read as {@link loopRead}, as one function made for this struct: an object literal of
 * its fields, in order. Built-in scalar fields are read in place by a DataView getter (see
 * INLINE_READS); other fields by their codec's read, each call site seeing one codec, which V8
 * inlines. The literal gives every value the same hidden class at once (no property added one by
 * one): about 3.5 times faster than the loop, which is most of what decoding a ring buffer record
 * costs. Field names are written as JSON string literals and offsets as integers. Where code
 * cannot be made at run time (a `--disallow-code-generation-from-strings` process), or for a field
 * named `__proto__` (a literal would set the prototype), the loop reads the same values.
 */
function compiledRead(fields: readonly PlacedField[]): StructRead | undefined {
  if (fields.some((f) => f.name === '__proto__' || !Number.isSafeInteger(f.offset))) return undefined;
  const codecs = fields.map((_, i) => `c${i} = c[${i}]`);
  // A field read by its codec's read is read by a function of its own, which puts the field's
  // name in front of the path of an error the codec throws (`hdr` + `ts`: `hdr.ts`).
  const readers: string[] = [];
  const values = fields.map((f, i) => {
    const at = `o + ${f.offset}`;
    const inline = INLINE_READS.get(f.codec);
    const name = JSON.stringify(f.name);
    if (inline) return `${name}: ${inline(at, name)}`;
    readers.push(
      `const r${i} = (d, o, order) => { try { return c${i}.read(d, o, order); } catch (e) { throw h.readErrorAt(e, ${name}); } };`,
    );
    return `${name}: r${i}(d, ${at}, order)`;
  });
  const body = fields.length > 0 ? `const ${codecs.join(', ')}; ${readers.join(' ')}` : '';
  const big = fields.some((f) => f.codec === u64 || f.codec === i64) ? BIG_READ : '';
  try {
    const make = new Function(
      'c',
      'h',
      `"use strict"; ${body}${big}
  return (d, o, order) => { const le = order === 'little'; return { ${values.join(', ')} }; };`,
    );
    return make(
      fields.map((f) => f.codec),
      HELPERS,
    ) as StructRead;
  } catch (error) {
    if (error instanceof EvalError) return undefined;
    throw error;
  }
}

/** A fixed-length C array `T[n]`, as a JS array of exactly `n` elements. */
export function array<T>(element: Codec<T>, n: number): Codec<T[]> {
  if (!Number.isInteger(n) || n < 0)
    throw new CodecError('array', `length ${n} is not a non-negative integer`);
  const stride = element.size;
  return {
    name: `${element.name}[${n}]`,
    size: stride * n,
    align: element.align,
    write(d, o, v, p, order) {
      if (!Array.isArray(v) || v.length !== n) {
        throw new CodecError(
          p,
          `expected an array of ${n} ${element.name}, got ${Array.isArray(v) ? v.length : typeof v}`,
        );
      }
      for (let i = 0; i < n; i++) element.write(d, o + i * stride, v[i] as T, `${p}[${i}]`, order);
    },
    read(d, o, order) {
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) {
        try {
          out[i] = element.read(d, o + i * stride, order);
        } catch (e) {
          throw readErrorAt(e, `[${i}]`);
        }
      }
      return out;
    },
  };
}
