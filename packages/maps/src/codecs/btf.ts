import { isPlainChar } from '@ts-ebpf/btf';
import { CodecError } from '../errors.js';
import { bytes, cstring } from './bytes.js';
import type { Codec } from './codec.js';
import { bool, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64 } from './scalars.js';
import { array, type PlacedField, placed } from './struct.js';

/**
 * The part of a BTF type this module reads (structurally the same as `@ts-ebpf/btf`'s
 * decoded types, so a `Btf` object can be passed without this package depending on it).
 */
export interface BtfTypeLike {
  readonly kind: string;
  readonly name: string;
  readonly size?: number;
  readonly type?: number;
  readonly signed?: boolean;
  readonly char?: boolean;
  readonly bool?: boolean;
  readonly bits?: number;
  readonly nelems?: number;
  readonly members?: readonly { name: string; type: number; bitOffset: number; bitfieldSize: number }[];
}

/** Anything that returns BTF types by id: `@ts-ebpf/btf`'s `Btf` fits. */
export interface BtfTypes {
  type(id: number): BtfTypeLike;
}

const ints: Record<string, Codec<number> | Codec<bigint>> = {
  u1: u8,
  i1: i8,
  u2: u16,
  i2: i16,
  u4: u32,
  i4: i32,
  u8: u64,
  i8: i64,
};

function alignOf(c: Codec<unknown>): number {
  return c.align;
}

/**
 * A codec derived from BTF type `id`: integers (64-bit as bigint), bool, floats, enums,
 * pointers (as u64), `char[n]` as a string, other arrays as JS arrays, structs as objects
 * at BTF's member offsets, unions as raw bytes. Bitfields are not supported yet.
 */
export function btfCodec(btf: BtfTypes, id: number, path = `type ${id}`, depth = 0): Codec<unknown> {
  if (depth > 64) throw new CodecError(path, 'BTF type nesting too deep (a cycle?)');
  const t = btf.type(id);
  switch (t.kind) {
    case 'int': {
      if (t.bool) return bool as Codec<unknown>;
      const c = ints[`${t.signed ? 'i' : 'u'}${t.size}`];
      if (!c || (t.bits !== undefined && t.bits !== t.size! * 8)) {
        throw new CodecError(path, `unsupported int ${t.name} (${t.size} bytes, ${t.bits} bits)`);
      }
      return c as Codec<unknown>;
    }
    case 'enum':
    case 'enum64': {
      const c = ints[`${t.signed ? 'i' : 'u'}${t.size}`];
      if (!c) throw new CodecError(path, `unsupported enum size ${t.size}`);
      return c as Codec<unknown>;
    }
    case 'float':
      if (t.size === 4) return f32 as Codec<unknown>;
      if (t.size === 8) return f64 as Codec<unknown>;
      throw new CodecError(path, `unsupported float size ${t.size}`);
    case 'ptr':
      return u64 as Codec<unknown>;
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      return btfCodec(btf, t.type!, path, depth + 1);
    case 'array': {
      const el = btf.type(t.type!);
      const n = t.nelems!;
      const elem = btfCodec(btf, t.type!, `${path}[]`, depth + 1);
      if (isPlainChar(el)) return cstring(n) as Codec<unknown>;
      return array(elem, n) as Codec<unknown>;
    }
    case 'struct': {
      const fields: PlacedField[] = [];
      let align = 1;
      for (const m of t.members ?? []) {
        const name = m.name || `_${fields.length}`;
        if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) {
          throw new CodecError(`${path}.${name}`, 'bitfields are not supported by BTF-derived codecs yet');
        }
        const codec = btfCodec(btf, m.type, `${path}.${name}`, depth + 1);
        fields.push({ name, codec, offset: m.bitOffset / 8 });
        align = Math.max(align, alignOf(codec));
      }
      return placed(fields, t.size!, align) as Codec<unknown>;
    }
    case 'union':
      return bytes(t.size!) as Codec<unknown>;
    default:
      throw new CodecError(path, `BTF ${t.kind} ${t.name || ''} has no value codec`);
  }
}
