import { type Btf, type IntType, resolveType, sizeOf } from '@ts-ebpf/btf';
import { HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { CliError } from './errors.js';
import { JsonMembers, type JsonValue } from './json.js';

const MAX_DEPTH = 64;

/**
 * Decodes the bytes of a map key or value by its BTF type, as `bpftool map dump` shows them:
 * integers as numbers (64-bit ones exact), bool as true/false, a `char` (CHAR encoding) as a
 * one-character string, enums by enumerator name, a `char[n]` holding NUL-terminated printable
 * text as a string, other arrays as arrays, structs and unions as objects of their members,
 * anonymous members named `""` (as bpftool names them), bitfields as hex strings of their
 * raw bits (`"0x5"`), data sections as
 * `{ section: [{ var: value }] }`.
 * @throws CliError for a type no value has (a function, a forward declaration, void)
 */
export function btfValue(btf: Btf, typeId: number, bytes: Uint8Array): JsonValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new ValueReader(btf, view).read(typeId, 0, 0);
}

class ValueReader {
  readonly #le = isLittleEndian(HOST_BYTE_ORDER);

  constructor(
    readonly btf: Btf,
    readonly view: DataView,
  ) {}

  read(id: number, at: number, depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new CliError(`BTF type ${id} is nested too deeply to print`);
    const t = this.btf.type(id);
    switch (t.kind) {
      case 'int':
        return this.int(t, at, t.bitOffset, t.bits);
      case 'float':
        return t.size === 4
          ? this.view.getFloat32(at, this.#le)
          : t.size === 8
            ? this.view.getFloat64(at, this.#le)
            : this.hex(at, t.size);
      case 'ptr':
        return this.unsigned(at, 8);
      case 'enum':
      case 'enum64': {
        const raw = t.signed ? this.signed(at, t.size) : this.unsigned(at, t.size);
        const match = t.values.find((v) => BigInt(v.value) === BigInt(raw));
        return match ? match.name : raw;
      }
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'var':
        return this.read(t.type, at, depth + 1);
      case 'array':
        return this.array(t.type, t.nelems, at, depth);
      case 'struct':
      case 'union': {
        // Anonymous members are named "", as bpftool names them (repeated when there are several).
        const out = new JsonMembers();
        for (const m of t.members) {
          out.add(
            m.name,
            m.bitfieldSize === 0
              ? this.read(m.type, at + m.bitOffset / 8, depth + 1)
              : this.bitfield(at, m.bitOffset, m.bitfieldSize),
          );
        }
        return out;
      }
      case 'datasec':
        return {
          [t.name]: t.vars.map((v) => ({
            [this.btf.nameOf(v.type)]: this.read(v.type, at + v.offset, depth + 1),
          })),
        };
      default:
        throw new CliError(`BTF type ${id} (${t.kind}${t.name ? ` ${t.name}` : ''}) describes no value`);
    }
  }

  /** An int, or a bitfield of one: `bits` bits starting `bitOffset` bits into the bytes at `at`. */
  int(t: IntType, at: number, bitOffset: number, bits: number): JsonValue {
    if (t.bool && bitOffset === 0 && bits === t.size * 8) return this.unsigned(at, t.size) !== 0;
    if (t.char && t.size === 1 && bitOffset === 0 && bits === 8)
      return String.fromCharCode(this.view.getUint8(at));
    if (bitOffset === 0 && bits === t.size * 8 && t.size <= 8) {
      return t.signed ? this.signed(at, t.size) : this.unsigned(at, t.size);
    }
    if (t.size > 8 && bitOffset === 0 && bits === t.size * 8) return this.hex(at, t.size);
    return this.bits(at, bitOffset, bits, t.signed);
  }

  /** A bitfield member: its raw bits as hex, as bpftool prints bitfields. */
  bitfield(at: number, bitOffset: number, bits: number): JsonValue {
    return `0x${this.rawBits(at, bitOffset, bits).toString(16)}`;
  }

  /** `bits` bits at bit `bitOffset` from `at`, unsigned (bit 0 the lowest on little-endian hosts). */
  rawBits(at: number, bitOffset: number, bits: number): bigint {
    const first = at + Math.floor(bitOffset / 8);
    const shift = bitOffset % 8;
    const span = Math.ceil((shift + bits) / 8);
    let raw = 0n;
    for (let i = 0; i < span; i++) {
      const b = BigInt(this.view.getUint8(first + i));
      raw = this.#le ? raw | (b << BigInt(8 * i)) : (raw << 8n) | b;
    }
    const mask = (1n << BigInt(bits)) - 1n;
    return this.#le ? (raw >> BigInt(shift)) & mask : (raw >> BigInt(span * 8 - shift - bits)) & mask;
  }

  /** An int that does not fill its bytes (`bits` at `bitOffset`), sign-extended when signed. */
  bits(at: number, bitOffset: number, bits: number, signed: boolean): JsonValue {
    const value = this.rawBits(at, bitOffset, bits);
    const v = signed && value >> BigInt(bits - 1) === 1n ? value - (1n << BigInt(bits)) : value;
    return bits > 53 ? v : Number(v);
  }

  array(elemId: number, n: number, at: number, depth: number): JsonValue {
    if (this.isChar(elemId)) {
      const text = this.text(at, n);
      if (text !== undefined) return text;
    }
    const size = sizeOf(this.btf, elemId);
    const out: JsonValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.read(elemId, at + i * size, depth + 1));
    return out;
  }

  /** The text in `char[n]` at `at`: printable ASCII up to a NUL, or undefined (no NUL, or not printable). */
  text(at: number, n: number): string | undefined {
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = this.view.getUint8(at + i);
      if (c === 0) return s;
      if (c < 0x20 || c > 0x7e) return undefined;
      s += String.fromCharCode(c);
    }
    return undefined;
  }

  /**
   * A string element, as bpftool tells one: a 1-byte int with CHAR encoding or named `char`,
   * behind qualifiers but not behind a typedef.
   */
  isChar(id: number): boolean {
    const t = resolveType(this.btf, id, { typedefs: false });
    return t.kind === 'int' && t.size === 1 && (t.char || t.name === 'char');
  }

  unsigned(at: number, size: number): number | bigint {
    const v = this.view;
    if (size === 1) return v.getUint8(at);
    if (size === 2) return v.getUint16(at, this.#le);
    if (size === 4) return v.getUint32(at, this.#le);
    if (size === 8) return v.getBigUint64(at, this.#le);
    throw new CliError(`cannot read a ${size}-byte integer`);
  }

  signed(at: number, size: number): number | bigint {
    const v = this.view;
    if (size === 1) return v.getInt8(at);
    if (size === 2) return v.getInt16(at, this.#le);
    if (size === 4) return v.getInt32(at, this.#le);
    if (size === 8) return v.getBigInt64(at, this.#le);
    throw new CliError(`cannot read a ${size}-byte integer`);
  }

  /** Wide values (int128, long double) as one hex number, most significant byte first. */
  hex(at: number, size: number): string {
    const bytes = Array.from({ length: size }, (_, i) => this.view.getUint8(at + i));
    if (this.#le) bytes.reverse();
    return `0x${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
}
