import { type Instruction, R10, type Register, stx } from '@ts-ebpf/dsl';
import { type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import { IterArgumentError } from './errors.js';
import { utf8Decoder } from './text.js';

/** A field type of a {@link RecordLayout}: an integer, a NUL-padded string or raw bytes. */
export type RecordFieldType =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'i8'
  | 'i16'
  | 'i32'
  | 'i64'
  | { readonly string: number }
  | { readonly bytes: number };

/** What a field type decodes to. */
export type RecordValue<T extends RecordFieldType> = T extends 'u64' | 'i64'
  ? bigint
  : T extends { string: number }
    ? string
    : T extends { bytes: number }
      ? Uint8Array
      : number;

/** A decoded record. */
export type RecordOf<F extends Readonly<Record<string, RecordFieldType>>> = {
  -readonly [K in keyof F]: RecordValue<F[K]>;
};

const INT_SIZE: Record<string, 1 | 2 | 4 | 8> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  i64: 8,
};
const STX_SIZE = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' } as const;

function sizeOfField(name: string, t: RecordFieldType): number {
  if (typeof t === 'string') {
    const size = INT_SIZE[t];
    if (!size) throw new IterArgumentError(`record field '${name}'`, `'${t}' is not a field type`);
    return size;
  }
  const n = 'string' in t ? t.string : t.bytes;
  if (!Number.isInteger(n) || n <= 0 || n > 4096)
    throw new IterArgumentError(`record field '${name}'`, `${n} is not a byte count in 1…4096`);
  return n;
}

/**
 * The layout of a record an iterator writes with bpf_seq_write, and its codec: fields in
 * order, each integer at its natural alignment, the whole padded to 8 bytes — one source for
 * both the program (offsets for stores) and the reader (decoding).
 */
export class RecordLayout<F extends Readonly<Record<string, RecordFieldType>>> {
  /** The fields as given. */
  readonly fields: F;
  /** Byte offset of each field. */
  readonly offsets: Readonly<Record<keyof F & string, number>>;
  /** Size of a record in bytes (a multiple of 8). */
  readonly size: number;

  constructor(fields: F) {
    const offsets: Record<string, number> = {};
    let at = 0;
    const names = Object.keys(fields);
    if (names.length === 0) throw new IterArgumentError('record', 'has no fields');
    for (const name of names) {
      const t = fields[name]!;
      const size = sizeOfField(name, t);
      const align = typeof t === 'string' ? size : 1;
      at = Math.ceil(at / align) * align;
      offsets[name] = at;
      at += size;
    }
    this.fields = Object.freeze({ ...fields });
    this.offsets = Object.freeze(offsets) as Record<keyof F & string, number>;
    this.size = Math.max(8, Math.ceil(at / 8) * 8);
    Object.freeze(this);
  }

  /** Offset of field `name` in the record (for a store or a copy into it). */
  offsetOf(name: keyof F & string): number {
    if (!Object.hasOwn(this.offsets, name))
      throw new IterArgumentError(`record field '${name}'`, 'is not a field of the record');
    return this.offsets[name];
  }

  /** `*(size *)(r10 + base + offsetOf(name)) = src` for an integer field of a record at `r10 + base`. */
  store(name: keyof F & string, src: Register, base: number): Instruction {
    const t = this.fields[name]!;
    if (typeof t !== 'string')
      throw new IterArgumentError(`record field '${name}'`, 'is not an integer field: copy bytes into it');
    return stx(STX_SIZE[INT_SIZE[t]!], R10, src, base + this.offsetOf(name));
  }

  /** Decodes one record from `bytes` (at least {@link RecordLayout.size} bytes from `offset`). */
  decode(bytes: Uint8Array, byteOrder: ByteOrder, offset = 0): RecordOf<F> {
    if (offset < 0 || offset + this.size > bytes.byteLength)
      throw new IterArgumentError(
        'record bytes',
        `${bytes.byteLength - offset} bytes from ${offset}, a record needs ${this.size}`,
      );
    const v = new DataView(bytes.buffer, bytes.byteOffset + offset, this.size);
    const le = isLittleEndian(byteOrder);
    const out: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(this.fields)) {
      const at = this.offsets[name as keyof F & string];
      out[name] = decodeField(v, at, t, le);
    }
    return out as RecordOf<F>;
  }
}

const decoder = utf8Decoder();

function decodeField(v: DataView, at: number, t: RecordFieldType, le: boolean): unknown {
  switch (t) {
    case 'u8':
      return v.getUint8(at);
    case 'i8':
      return v.getInt8(at);
    case 'u16':
      return v.getUint16(at, le);
    case 'i16':
      return v.getInt16(at, le);
    case 'u32':
      return v.getUint32(at, le);
    case 'i32':
      return v.getInt32(at, le);
    case 'u64':
      return v.getBigUint64(at, le);
    case 'i64':
      return v.getBigInt64(at, le);
  }
  const bytes = new Uint8Array(v.buffer, v.byteOffset + at, 'string' in t ? t.string : t.bytes);
  if ('bytes' in t) return bytes.slice();
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** A {@link RecordLayout} of `fields`. */
export function record<F extends Readonly<Record<string, RecordFieldType>>>(fields: F): RecordLayout<F> {
  return new RecordLayout(fields);
}
