import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { BtfError } from './errors.js';
import { BTF_HEADER_SIZE, BTF_MAGIC } from './header.js';
import { BtfKindNumber, type BtfTypeSpec } from './kinds.js';
import { subject, typeReferences } from './references.js';
import { encodeUtf8 } from './utf8.js';

/** Options for {@link writeBtf}. */
export interface WriteOptions {
  /** Byte order of the output (default {@link HOST_BYTE_ORDER}, what the running kernel loads). */
  readonly byteOrder?: ByteOrder;
  /**
   * For split BTF: the base's string space length (`Btf.stringsLength`); string
   * offsets of the output continue from it.
   */
  readonly baseStringsLength?: number;
  /**
   * Id of the first type written: 1, or for split BTF the base's `typeCount`. References
   * must name an id below the last one written.
   */
  readonly firstId?: number;
  /**
   * The string table to write: strings added to it before the call (names other records refer
   * to by offset, such as `.BTF.ext` line_info's file names) keep their offsets, and the types'
   * names are added after them. Its base must be `baseStringsLength` (0 by default).
   */
  readonly strings?: StringTable;
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

/** Refuses values the encoding would truncate or wrap, and references to ids that do not exist. */
function checkType(t: BtfTypeSpec, id: number, end: number): void {
  const fail = (why: string): never => {
    throw new BtfError(`${subject(t, id)}: ${why}`);
  };
  for (const r of typeReferences(t)) {
    if (!Number.isInteger(r.id) || r.id < 0 || r.id >= end) {
      fail(`${r.field} refers to type id ${r.id}, which does not exist (ids run 0-${end - 1})`);
    }
  }
  switch (t.kind) {
    case 'int':
      if (!isInt(t.bits, 0, 128) || !isInt(t.bitOffset, 0, 255) || t.bitOffset + t.bits > t.size * 8)
        fail(`${t.bits} bits at bit offset ${t.bitOffset} do not fit ${t.size} bytes (at most 128 bits)`);
      break;
    case 'enum':
    case 'enum64': {
      // the kind flag tells how all 32 (64) bits read back: a value outside that range would
      // come back as another number (0xffffffff as -1 in a signed enum, -1 as 4294967295)
      const bits = t.kind === 'enum' ? 32n : 64n;
      const [min, max] = t.signed
        ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n]
        : [0n, (1n << bits) - 1n];
      for (const e of t.values) {
        const ok = typeof e.value === 'bigint' || Number.isInteger(e.value);
        if (!ok || BigInt(e.value) < min || BigInt(e.value) > max)
          fail(
            `value ${e.name} = ${e.value} does not fit a ${t.signed ? 'signed' : 'unsigned'} ${bits}-bit ${t.kind} (${min} to ${max})`,
          );
      }
      break;
    }
    case 'decl_tag':
      if (!isInt(t.componentIdx, -1, 0x7fffffff))
        fail(`component index ${t.componentIdx} is not -1 or an index`);
      break;
    case 'func':
    case 'var':
      if (LINKAGE[t.linkage] === undefined) fail(`unknown linkage '${t.linkage}'`);
      break;
  }
}

function isInt(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/**
 * Serializes types (ids 1, 2, … in order, or continuing a base for split BTF) to raw BTF.
 * @throws BtfError naming the type for a void entry, a reference to an id that does not
 * exist, or values that do not fit their fields
 */
export function writeBtf(types: readonly BtfTypeSpec[], options: WriteOptions = {}): Uint8Array {
  const le = (options.byteOrder ?? HOST_BYTE_ORDER) === 'little';
  const firstId = options.firstId ?? 1;
  types.forEach((t, i) => {
    checkType(t, firstId + i, firstId + types.length);
  });
  const strings = options.strings ?? new StringTable(options.baseStringsLength ?? 0);
  let typeLen = 0;
  for (const t of types) typeLen += recordSize(t);
  const typeBytes = new Uint8Array(typeLen);
  const v = new DataView(typeBytes.buffer, typeBytes.byteOffset, typeBytes.byteLength);
  let p = 0;
  let at = firstId;
  const u32 = (x: number): void => {
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff)
      throw new BtfError(`${subject(types[at - firstId]!, at)}: value ${x} does not fit in 32 bits`);
    v.setUint32(p, x, le);
    p += 4;
  };
  const head = (t: BtfTypeSpec, vlen: number, kflag: boolean, sizeOrType: number): void => {
    if (t.kind === 'void') throw new BtfError(`void cannot be written (entry for id ${at}; void is id 0)`);
    if (vlen > 0xffff) throw new BtfError(`${subject(t, at)} has too many entries (${vlen})`);
    u32(strings.add(t.name));
    u32(((kflag ? 1 : 0) * 0x80000000 + (BtfKindNumber[t.kind] << 24) + vlen) >>> 0);
    u32(sizeOrType);
  };
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    at = firstId + i;
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
  const h = new DataView(out.buffer, out.byteOffset, out.byteLength);
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
