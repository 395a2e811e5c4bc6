import type { ByteOrder } from '@ts-ebpf/uapi';
import { BtfError } from './errors.js';
import {
  type BtfEnumValue,
  type BtfKind,
  type BtfLinkage,
  type BtfMember,
  type BtfParam,
  type BtfType,
  type BtfVarSecInfo,
  kindNames,
} from './kinds.js';
import { highestReference, subject, typeReferences } from './references.js';

/** What the decoder needs from a parsed BTF: its bytes, string lookup and how many types it has. */
export interface DecodeSource {
  readonly view: DataView;
  readonly byteOrder: ByteOrder;
  /** One more than the highest type id (base types included): references must stay below. */
  readonly typeCount: number;
  string(offset: number, at: number): string;
}

const LINKAGES: readonly BtfLinkage[] = ['static', 'global', 'extern'];

/** Bytes that follow the 12-byte common header for a type of `kind` with `vlen` entries. */
export function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: // int
    case 14: // var
    case 17: // decl_tag
      return 4;
    case 3: // array
      return 12;
    case 4: // struct
    case 5: // union
    case 15: // datasec
    case 19: // enum64
      return 12 * vlen;
    case 6: // enum
    case 13: // func_proto
      return 8 * vlen;
    default:
      return 0;
  }
}

function linkage(n: number, at: number): BtfLinkage {
  const l = LINKAGES[n];
  if (!l) throw new BtfError(`unknown linkage ${n}`, at);
  return l;
}

/**
 * Decodes the type record at absolute offset `off` with id `id`.
 * @throws BtfError for an unknown kind or linkage, a string offset outside the strings, or a
 *   reference to a type id that does not exist (naming the type, the field and the byte offset)
 */
export function decodeType(src: DecodeSource, id: number, off: number): BtfType {
  const t = decodeRecord(src, id, off);
  if (highestReference(t) >= src.typeCount) {
    const bad = typeReferences(t).find((r) => r.id >= src.typeCount)!;
    throw new BtfError(
      `${subject(t, id)}: ${bad.field} refers to type id ${bad.id}, which does not exist (ids run 0-${src.typeCount - 1})`,
      off,
    );
  }
  return t;
}

function decodeRecord(src: DecodeSource, id: number, off: number): BtfType {
  const view = src.view;
  const le = src.byteOrder === 'little';
  const info = view.getUint32(off + 4, le);
  const kindNum = (info >>> 24) & 0x1f;
  const kind = kindNames[kindNum] as Exclude<BtfKind, 'void'> | undefined;
  if (!kind) throw new BtfError(`type ${id} has unknown kind ${kindNum}`, off + 4);
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const name = src.string(view.getUint32(off, le), off);
  const sizeOrType = view.getUint32(off + 8, le);
  const p = off + 12;
  switch (kind) {
    case 'int': {
      const enc = view.getUint32(p, le);
      const e = (enc >>> 24) & 0x0f;
      return {
        kind,
        id,
        name,
        size: sizeOrType,
        signed: (e & 1) !== 0,
        char: (e & 2) !== 0,
        bool: (e & 4) !== 0,
        bitOffset: (enc >>> 16) & 0xff,
        bits: enc & 0xff,
      };
    }
    case 'float':
      return { kind, id, name, size: sizeOrType };
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
      return { kind, id, name, type: sizeOrType };
    case 'array':
      return {
        kind,
        id,
        name,
        type: view.getUint32(p, le),
        indexType: view.getUint32(p + 4, le),
        nelems: view.getUint32(p + 8, le),
      };
    case 'struct':
    case 'union': {
      const members: BtfMember[] = new Array(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 12) {
        const o = view.getUint32(q + 8, le);
        members[i] = {
          name: src.string(view.getUint32(q, le), q),
          type: view.getUint32(q + 4, le),
          bitOffset: kflag ? o & 0xffffff : o,
          bitfieldSize: kflag ? o >>> 24 : 0,
        };
      }
      return { kind, id, name, size: sizeOrType, members };
    }
    case 'enum': {
      const values: BtfEnumValue<number>[] = new Array(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 8) {
        const v = kflag ? view.getInt32(q + 4, le) : view.getUint32(q + 4, le);
        values[i] = { name: src.string(view.getUint32(q, le), q), value: v };
      }
      return { kind, id, name, size: sizeOrType, signed: kflag, values };
    }
    case 'enum64': {
      const values: BtfEnumValue<bigint>[] = new Array(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 12) {
        const lo = BigInt(view.getUint32(q + 4, le));
        const hi = BigInt(view.getUint32(q + 8, le));
        const u = (hi << 32n) | lo;
        values[i] = { name: src.string(view.getUint32(q, le), q), value: kflag ? BigInt.asIntN(64, u) : u };
      }
      return { kind, id, name, size: sizeOrType, signed: kflag, values };
    }
    case 'fwd':
      return { kind, id, name, fwdKind: kflag ? 'union' : 'struct' };
    case 'func':
      return { kind, id, name, type: sizeOrType, linkage: linkage(vlen, off + 4) };
    case 'func_proto': {
      const params: BtfParam[] = new Array(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 8) {
        params[i] = { name: src.string(view.getUint32(q, le), q), type: view.getUint32(q + 4, le) };
      }
      return { kind, id, name, returnType: sizeOrType, params };
    }
    case 'var':
      return { kind, id, name, type: sizeOrType, linkage: linkage(view.getUint32(p, le), p) };
    case 'datasec': {
      const vars: BtfVarSecInfo[] = new Array(vlen);
      for (let i = 0, q = p; i < vlen; i++, q += 12) {
        vars[i] = {
          type: view.getUint32(q, le),
          offset: view.getUint32(q + 4, le),
          size: view.getUint32(q + 8, le),
        };
      }
      return { kind, id, name, size: sizeOrType, vars };
    }
    case 'decl_tag':
      return { kind, id, name, type: sizeOrType, componentIdx: view.getInt32(p, le) };
  }
}
