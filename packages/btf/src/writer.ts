import { BtfError } from './errors.js';
import { BTF_HEADER_SIZE, BTF_MAGIC } from './header.js';
import { BtfKindNumber, type BtfTypeSpec } from './kinds.js';
import { encodeUtf8 } from './utf8.js';

/** Options for {@link writeBtf}. */
export interface WriteOptions {
  /** Byte order of the output (default true: little-endian). */
  readonly littleEndian?: boolean;
  /**
   * For split BTF: the base's string space length (`Btf.stringsLength`); string
   * offsets of the output continue from it. The caller numbers type ids from the base's `typeCount`.
   */
  readonly baseStringsLength?: number;
}

/** A deduplicating BTF string table. Offset 0 is the empty string. */
export class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** @param base - offset of the first string (the base's string length for split BTF) */
  constructor(private readonly base = 0) {
    if (base === 0) this.add('');
  }

  /** Adds a string (once) and returns its offset. */
  add(s: string): number {
    if (s === '' && this.base !== 0) return 0;
    const hit = this.offsets.get(s);
    if (hit !== undefined) return hit;
    const bytes = encodeUtf8(s);
    if (bytes.includes(0)) throw new BtfError(`BTF string ${JSON.stringify(s)} contains a NUL`);
    const off = this.base + this.length;
    this.offsets.set(s, off);
    this.chunks.push(bytes);
    this.length += bytes.length + 1;
    return off;
  }

  /** The encoded table. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length + 1;
    }
    return out;
  }
}

const LINKAGE = { static: 0, global: 1, extern: 2 } as const;

function recordSize(t: BtfTypeSpec): number {
  switch (t.kind) {
    case 'int':
    case 'var':
    case 'decl_tag':
      return 16;
    case 'array':
      return 24;
    case 'struct':
    case 'union':
      return 12 + 12 * t.members.length;
    case 'enum':
      return 12 + 8 * t.values.length;
    case 'enum64':
      return 12 + 12 * t.values.length;
    case 'func_proto':
      return 12 + 8 * t.params.length;
    case 'datasec':
      return 12 + 12 * t.vars.length;
    default:
      return 12;
  }
}

/**
 * Serializes types (ids 1, 2, … in order, or continuing a base for split BTF) to raw BTF.
 * @throws BtfError for a void entry or values that do not fit their fields
 */
export function writeBtf(types: readonly BtfTypeSpec[], options: WriteOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const strings = new StringTable(options.baseStringsLength ?? 0);
  let typeLen = 0;
  for (const t of types) typeLen += recordSize(t);
  const typeBytes = new Uint8Array(typeLen);
  const v = new DataView(typeBytes.buffer);
  let p = 0;
  const u32 = (x: number): void => {
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff)
      throw new BtfError(`value ${x} does not fit in 32 bits`);
    v.setUint32(p, x, le);
    p += 4;
  };
  const head = (t: BtfTypeSpec, vlen: number, kflag: boolean, sizeOrType: number): void => {
    if (t.kind === 'void') throw new BtfError('void (id 0) cannot be written');
    if (vlen > 0xffff) throw new BtfError(`${t.kind} '${t.name}' has too many entries (${vlen})`);
    u32(strings.add(t.name));
    u32(((kflag ? 1 : 0) * 0x80000000 + (BtfKindNumber[t.kind] << 24) + vlen) >>> 0);
    u32(sizeOrType);
  };
  for (const t of types) {
    switch (t.kind) {
      case 'void':
        head(t, 0, false, 0);
        break;
      case 'int': {
        head(t, 0, false, t.size);
        const enc = (t.signed ? 1 : 0) | (t.char ? 2 : 0) | (t.bool ? 4 : 0);
        u32(((enc << 24) | ((t.bitOffset & 0xff) << 16) | (t.bits & 0xff)) >>> 0);
        break;
      }
      case 'float':
        head(t, 0, false, t.size);
        break;
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        head(t, 0, false, t.type);
        break;
      case 'array':
        head(t, 0, false, 0);
        u32(t.type);
        u32(t.indexType);
        u32(t.nelems);
        break;
      case 'struct':
      case 'union': {
        const kflag = t.members.some((m) => m.bitfieldSize !== 0);
        head(t, t.members.length, kflag, t.size);
        for (const m of t.members) {
          u32(strings.add(m.name));
          u32(m.type);
          if (kflag && (m.bitOffset > 0xffffff || m.bitfieldSize > 0xff)) {
            throw new BtfError(
              `member '${m.name}' of '${t.name}' has an offset or width too large for a bitfield`,
            );
          }
          u32(kflag ? (m.bitfieldSize * 0x1000000 + m.bitOffset) >>> 0 : m.bitOffset);
        }
        break;
      }
      case 'enum':
        head(t, t.values.length, t.signed, t.size);
        for (const e of t.values) {
          u32(strings.add(e.name));
          u32(e.value >>> 0);
        }
        break;
      case 'enum64':
        head(t, t.values.length, t.signed, t.size);
        for (const e of t.values) {
          const u = BigInt.asUintN(64, e.value);
          u32(strings.add(e.name));
          u32(Number(u & 0xffffffffn));
          u32(Number(u >> 32n));
        }
        break;
      case 'fwd':
        head(t, 0, t.fwdKind === 'union', 0);
        break;
      case 'func':
        head(t, LINKAGE[t.linkage], false, t.type);
        break;
      case 'func_proto':
        head(t, t.params.length, false, t.returnType);
        for (const prm of t.params) {
          u32(strings.add(prm.name));
          u32(prm.type);
        }
        break;
      case 'var':
        head(t, 0, false, t.type);
        u32(LINKAGE[t.linkage]);
        break;
      case 'datasec':
        head(t, t.vars.length, false, t.size);
        for (const x of t.vars) {
          u32(x.type);
          u32(x.offset);
          u32(x.size);
        }
        break;
      case 'decl_tag':
        head(t, 0, false, t.type);
        u32(t.componentIdx >>> 0);
        break;
    }
  }
  const strBytes = strings.bytes();
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strBytes.length);
  const h = new DataView(out.buffer);
  h.setUint16(0, BTF_MAGIC, le);
  h.setUint8(2, 1);
  h.setUint8(3, 0);
  h.setUint32(4, BTF_HEADER_SIZE, le);
  h.setUint32(8, 0, le);
  h.setUint32(12, typeLen, le);
  h.setUint32(16, typeLen, le);
  h.setUint32(20, strBytes.length, le);
  out.set(typeBytes, BTF_HEADER_SIZE);
  out.set(strBytes, BTF_HEADER_SIZE + typeLen);
  return out;
}
