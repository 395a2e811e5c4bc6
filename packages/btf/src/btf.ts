import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { type DecodeSource, decodeType, extraBytes } from './decode.js';
import { BtfError } from './errors.js';
import { type BtfHeader, parseHeader } from './header.js';
import { type BtfKind, BtfKindNumber, type BtfType, type BtfTypeOfKind, kindNames, VOID } from './kinds.js';
import { StringSection } from './strings.js';
import { encodeUtf8 } from './utf8.js';

/** Options for {@link Btf.parse}. */
export interface BtfParseOptions {
  /** Base BTF (e.g. vmlinux) for split BTF such as kernel module BTF. */
  readonly base?: Btf;
  /**
   * The byte order the data must be in. BTF tells its order by its magic number; give this to
   * refuse data in the other order (e.g. `HOST_BYTE_ORDER` for BTF meant for this kernel).
   */
  readonly byteOrder?: ByteOrder;
}

/** What the decoder reads of one parsed BTF (a class: no closure made per parse). */
class BtfDecodeSource implements DecodeSource {
  constructor(
    readonly view: DataView,
    readonly byteOrder: ByteOrder,
    private readonly btf: Btf,
  ) {}
  get typeCount(): number {
    return this.btf.typeCount;
  }
  string(offset: number, at: number): string {
    return this.btf.string(offset, at);
  }
}

/**
 * The number of a kind name, checked: an untyped caller's misspelt kind would otherwise match
 * every kind. `void` has no number (-1).
 * @throws BtfError for a name that is no BTF kind
 */
function kindNumber(kind: BtfKind): number {
  if (kind === 'void') return -1;
  const n = Object.hasOwn(BtfKindNumber, kind) ? BtfKindNumber[kind] : undefined;
  if (n === undefined) {
    throw new BtfError(
      `unknown BTF kind '${String(kind)}' (one of: void, ${Object.keys(BtfKindNumber).join(', ')})`,
    );
  }
  return n;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Parsed BTF. Opening indexes the offset of every type in one pass; types are
 * decoded (and cached) when asked for. The first lookup by name scans the type
 * records; the second builds a hash index of names that later lookups use.
 */
export class Btf {
  /** The decoded header. */
  readonly header: BtfHeader;
  /** The byte order of the data (split BTF shares its base's). */
  readonly byteOrder: ByteOrder;
  /** Base BTF of split BTF, or undefined. */
  readonly base: Btf | undefined;
  /** Id of the first type defined here (1, or the base's `typeCount` for split BTF). */
  readonly firstId: number;
  /** The raw bytes this was parsed from. */
  readonly bytes: Uint8Array;
  /** Parsed BTF never changes, so layouts computed from it are cached. */
  readonly immutable = true;
  private readonly view: DataView;
  /** Absolute end of the type section. */
  private readonly typeEnd: number;
  /** What the decoder reads: the bytes, their order and the strings. */
  private readonly source: DecodeSource;
  private readonly strStart: number;
  private readonly strLen: number;
  private readonly firstStr: number;
  private readonly offsets: Uint32Array;
  private readonly count: number;
  private readonly cache: (BtfType | undefined)[];
  private readonly strings: StringSection;
  /** The byte order as the `littleEndian` argument of `DataView` reads. */
  private readonly le: boolean;
  private hashHead: Int32Array | undefined;
  private hashNext: Int32Array | undefined;
  private scans = 0;

  private constructor(bytes: Uint8Array, base: Btf | undefined, byteOrder: ByteOrder | undefined) {
    this.bytes = bytes;
    this.base = base;
    this.header = parseHeader(bytes, byteOrder ?? base?.byteOrder);
    const h = this.header;
    this.byteOrder = h.byteOrder;
    this.le = h.byteOrder === 'little';
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = new BtfDecodeSource(this.view, h.byteOrder, this);
    this.firstId = base ? base.typeCount : 1;
    this.firstStr = base ? base.stringsLength : 0;
    this.strStart = h.hdrLen + h.strOff;
    this.strLen = h.strLen;
    if (!base && h.strLen > 0 && bytes[this.strStart] !== 0) {
      throw new BtfError(
        "string section does not start with an empty string: if this is split BTF (a kernel module's, or built on vmlinux), parse it with its base: Btf.parse(bytes, { base })",
        this.strStart,
      );
    }
    if (h.strLen > 0 && bytes[this.strStart + h.strLen - 1] !== 0) {
      throw new BtfError('string section is not NUL-terminated', this.strStart + h.strLen - 1);
    }
    this.strings = new StringSection(bytes, this.strStart, h.strLen);
    const start = h.hdrLen + h.typeOff;
    this.typeEnd = start + h.typeLen;
    let offsets = new Uint32Array(Math.max(16, h.typeLen >>> 4));
    let n = 0;
    const v = this.view;
    const le = this.le;
    // a word view is faster than DataView when alignment and byte order allow it
    const words =
      h.byteOrder === HOST_BYTE_ORDER && (bytes.byteOffset + start) % 4 === 0
        ? new Uint32Array(bytes.buffer, bytes.byteOffset + start, h.typeLen >>> 2)
        : undefined;
    for (let off = start; off < this.typeEnd; ) {
      if (off + 12 > this.typeEnd) throw new BtfError(`type ${this.firstId + n} is truncated`, off);
      const info = words ? words[(off - start + 4) >>> 2]! : v.getUint32(off + 4, le);
      const kind = (info >>> 24) & 0x1f;
      if (kind === 0 || kind > 19)
        throw new BtfError(`type ${this.firstId + n} has unknown kind ${kind}`, off + 4);
      if (n === offsets.length) {
        const grown = new Uint32Array(n * 2);
        grown.set(offsets);
        offsets = grown;
      }
      offsets[n++] = off;
      const next = off + 12 + extraBytes(kind, info & 0xffff);
      if (next > this.typeEnd)
        throw new BtfError(`type ${this.firstId + n - 1} runs past the type section`, off);
      off = next;
    }
    this.offsets = offsets;
    this.count = n;
    this.cache = new Array(n);
  }

  /**
   * Parses raw BTF (e.g. the bytes of `/sys/kernel/btf/vmlinux` or an ELF `.BTF` section) in
   * either byte order. Takes any `Uint8Array` view (a subarray at any offset) and never writes
   * to it; the result reads from it, so change the bytes only after you are done with the result.
   * Split BTF must be in its base's byte order.
   * @throws BtfError for truncated or corrupt data, with the byte offset
   */
  static parse(bytes: Uint8Array, options: BtfParseOptions = {}): Btf {
    return new Btf(bytes, options.base, options.byteOrder);
  }

  /** One more than the highest type id (base types included); ids run from 0 to typeCount - 1. */
  get typeCount(): number {
    return this.firstId + this.count;
  }

  /** Length of the string space (base strings included); split BTF string offsets continue from here. */
  get stringsLength(): number {
    return this.firstStr + this.strLen;
  }

  /** The string at `offset` in the string section (base strings included). */
  string(offset: number, at = -1): string {
    if (offset < this.firstStr) return this.base!.string(offset, at);
    const rel = offset - this.firstStr;
    if (rel >= this.strLen) {
      throw new BtfError(`string offset ${offset} is outside the string section`, at < 0 ? undefined : at);
    }
    return this.strings.get(rel);
  }

  /**
   * Byte offset of a locally defined type's record in `bytes` (for tools that patch
   * raw BTF in place, such as the ELF loader fixing up DATASEC sizes).
   * @throws BtfError when the id is not defined here
   */
  recordOffset(id: number): number {
    return this.offsetOf(id);
  }

  /** Absolute byte offset of the record of a locally defined type. */
  private offsetOf(id: number): number {
    const i = id - this.firstId;
    if (i < 0 || i >= this.count || !Number.isInteger(id)) throw new BtfError(`type id ${id} does not exist`);
    return this.offsets[i]!;
  }

  /**
   * The type with this id (0 is void), decoded on first use.
   * @throws BtfError when the id does not exist or its record is corrupt
   */
  type(id: number): BtfType {
    if (id === 0) return VOID;
    if (id < this.firstId && this.base) return this.base.type(id);
    const off = this.offsetOf(id);
    const i = id - this.firstId;
    let t = this.cache[i];
    if (!t) {
      t = decodeType(this.source, id, off);
      this.cache[i] = t;
    }
    return t;
  }

  /** The kind of a type without decoding it. */
  kindOf(id: number): BtfKind {
    if (id === 0) return 'void';
    if (id < this.firstId && this.base) return this.base.kindOf(id);
    const info = this.view.getUint32(this.offsetOf(id) + 4, this.le);
    return kindNames[(info >>> 24) & 0x1f]!;
  }

  /** The name of a type without decoding the rest of it. */
  nameOf(id: number): string {
    if (id === 0) return '';
    if (id < this.firstId && this.base) return this.base.nameOf(id);
    const off = this.offsetOf(id);
    return this.string(this.view.getUint32(off, this.le), off);
  }

  /**
   * Iterates over every type, base types first, void excluded. Types already decoded by
   * {@link Btf.type} are yielded as they are; the others are decoded for the iteration without
   * being kept, so walking all of vmlinux leaves nothing behind for the collector to copy. A type
   * yielded here equals `type(id)` field by field but may not be the same object.
   */
  *types(): IterableIterator<BtfType> {
    for (let id = 1; id < this.typeCount; id++) {
      const i = id - this.firstId;
      if (i < 0) yield this.type(id);
      else yield this.cache[i] ?? decodeType(this.source, id, this.offsets[i]!);
    }
  }

  private nameHash(strOff: number): number {
    if (strOff < this.firstStr) return this.base!.nameHash(strOff);
    const b = this.bytes;
    let i = this.strStart + strOff - this.firstStr;
    let h = FNV_OFFSET;
    for (let c = b[i]; c !== 0 && c !== undefined; c = b[++i]) h = Math.imul(h ^ c, FNV_PRIME);
    return h >>> 0;
  }

  private buildNameIndex(): void {
    const size = 1 << Math.max(4, 32 - Math.clz32(this.count * 2));
    const head = new Int32Array(size).fill(-1);
    const next = new Int32Array(this.count);
    const v = this.view;
    const le = this.le;
    for (let i = this.count - 1; i >= 0; i--) {
      const nameOff = v.getUint32(this.offsets[i]!, le);
      if (nameOff === 0 || nameOff >= this.stringsLength) {
        next[i] = -2;
        continue;
      }
      const slot = this.nameHash(nameOff) & (size - 1);
      next[i] = head[slot]!;
      head[slot] = i;
    }
    this.hashHead = head;
    this.hashNext = next;
  }

  /**
   * Ids of the types called `name`, optionally only of one kind, in id order (base first).
   * The first lookup scans the type records; later ones use a hash index built then.
   * @throws BtfError when `kind` is no BTF kind name
   */
  findIds(name: string, kind?: BtfKind): number[] {
    const kindNum = kind === undefined ? -1 : kindNumber(kind);
    const found = this.base ? this.base.findIds(name, kind) : [];
    // nothing has an empty name to look up, and void (id 0) has no name
    if (name === '' || kind === 'void') return found;
    const want = encodeUtf8(name);
    const local: number[] = [];
    if (!this.hashHead && this.scans++ === 0) {
      for (let i = 0; i < this.count; i++) if (this.matches(i, want, kindNum)) local.push(this.firstId + i);
      return found.length > 0 ? found.concat(local) : local;
    }
    if (!this.hashHead) this.buildNameIndex();
    const head = this.hashHead!;
    const next = this.hashNext!;
    let h = FNV_OFFSET;
    for (const c of want) h = Math.imul(h ^ c, FNV_PRIME);
    for (let i = head[(h >>> 0) & (head.length - 1)]!; i >= 0; i = next[i]!)
      if (this.matches(i, want, kindNum)) local.push(this.firstId + i);
    return found.length > 0 ? found.concat(local) : local;
  }

  /** Whether local type `i` is called `want` (and is of kind number `kindNum`, unless that is -1). */
  private matches(i: number, want: Uint8Array, kindNum: number): boolean {
    const off = this.offsets[i]!;
    if (kindNum >= 0 && ((this.view.getUint32(off + 4, this.le) >>> 24) & 0x1f) !== kindNum) return false;
    return this.nameEquals(this.view.getUint32(off, this.le), want);
  }

  private nameEquals(strOff: number, want: Uint8Array): boolean {
    if (strOff < this.firstStr) return this.base!.nameEquals(strOff, want);
    const start = this.strStart + strOff - this.firstStr;
    const b = this.bytes;
    for (let k = 0; k < want.length; k++) if (b[start + k] !== want[k]) return false;
    return b[start + want.length] === 0;
  }

  /** All types called `name` (of `kind`, if given). */
  findAll<K extends BtfKind>(name: string, kind?: K): BtfTypeOfKind<K>[] {
    return this.findIds(name, kind).map((id) => this.type(id) as BtfTypeOfKind<K>);
  }

  /** The first type called `name` (of `kind`, if given), or undefined. */
  find<K extends BtfKind>(name: string, kind?: K): BtfTypeOfKind<K> | undefined {
    const ids = this.findIds(name, kind);
    return ids.length > 0 ? (this.type(ids[0]!) as BtfTypeOfKind<K>) : undefined;
  }

  /**
   * The first type called `name` (of `kind`, if given).
   * @throws BtfError when there is none
   */
  get<K extends BtfKind>(name: string, kind?: K): BtfTypeOfKind<K> {
    const t = this.find(name, kind);
    if (!t) throw new BtfError(`no ${kind ?? 'type'} named '${name}' in BTF`);
    return t;
  }
}
