import { SectionType, SHN_XINDEX } from './constants.js';
import { ElfError } from './errors.js';

/** One section header, with its name resolved. */
export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

/** One symbol of `.symtab`. */
export interface ElfSymbol {
  index: number;
  name: string;
  /** `st_info >> 4`: SymbolBind. */
  bind: number;
  /** `st_info & 0xf`: SymbolType. */
  type: number;
  /** `st_other & 3`: visibility. */
  visibility: number;
  /** Section index (`st_shndx`). */
  section: number;
  value: bigint;
  size: bigint;
}

/** One relocation entry (REL or RELA). */
export interface ElfRelocation {
  offset: bigint;
  symbol: number;
  type: number;
  addend: bigint;
}

/** A parsed ELF64 header. */
export interface ElfHeader {
  littleEndian: boolean;
  type: number;
  machine: number;
  version: number;
  flags: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

const decoder = new TextDecoder();

/**
 * A bounds-checked reader of an ELF64 object in either byte order. Every read
 * that would leave the file throws {@link ElfError} with the offset.
 */
export class ElfFile {
  /** The whole file. */
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly #view: DataView;
  #symbols: ElfSymbol[] | undefined;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = this.#readHeader();
    this.sections = this.#readSections();
  }

  #need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.bytes.byteLength) {
      throw new ElfError(`truncated: ${what} needs ${size} bytes`, offset);
    }
  }

  #u16(o: number): number {
    return this.#view.getUint16(o, this.header?.littleEndian ?? true);
  }
  #u32(o: number): number {
    return this.#view.getUint32(o, this.header?.littleEndian ?? true);
  }
  #u64(o: number): bigint {
    return this.#view.getBigUint64(o, this.header?.littleEndian ?? true);
  }
  #offset(o: number, what: string): number {
    const v = this.#u64(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} is out of range`, o);
    return Number(v);
  }

  #readHeader(): ElfHeader {
    this.#need(0, 64, 'ELF header');
    const b = this.bytes;
    if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46)
      throw new ElfError('not an ELF file (bad magic)', 0);
    if (b[4] !== 2) throw new ElfError(`only ELF64 is supported (EI_CLASS ${b[4]})`, 4);
    if (b[5] !== 1 && b[5] !== 2) throw new ElfError(`bad byte order (EI_DATA ${b[5]})`, 5);
    const le = b[5] === 1;
    const v = this.#view;
    const header: ElfHeader = {
      littleEndian: le,
      type: v.getUint16(16, le),
      machine: v.getUint16(18, le),
      version: v.getUint32(20, le),
      shoff: 0,
      flags: v.getUint32(48, le),
      shentsize: v.getUint16(58, le),
      shnum: v.getUint16(60, le),
      shstrndx: v.getUint16(62, le),
    };
    const shoff = v.getBigUint64(40, le);
    if (shoff > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('e_shoff is out of range', 40);
    header.shoff = Number(shoff);
    if (header.shoff !== 0 && header.shentsize !== 64) {
      throw new ElfError(`section header size ${header.shentsize}, expected 64`, 58);
    }
    return header;
  }

  #readSections(): ElfSection[] {
    const h = this.header;
    if (h.shoff === 0) return [];
    this.#need(h.shoff, 64, 'section header 0');
    let count = h.shnum;
    let strndx = h.shstrndx;
    if (count === 0) count = this.#offset(h.shoff + 32, 'section count');
    if (strndx === SHN_XINDEX) strndx = this.#u32(h.shoff + 40);
    if (count > 0xffffff) throw new ElfError(`implausible section count ${count}`, h.shoff);
    this.#need(h.shoff, count * 64, `${count} section headers`);
    const raw: ElfSection[] = [];
    for (let i = 0; i < count; i++) {
      const o = h.shoff + i * 64;
      const section: ElfSection = {
        index: i,
        name: '',
        type: this.#u32(o + 4),
        flags: this.#u64(o + 8),
        addr: this.#u64(o + 16),
        offset: this.#offset(o + 24, 'sh_offset'),
        size: this.#offset(o + 32, 'sh_size'),
        link: this.#u32(o + 40),
        info: this.#u32(o + 44),
        addralign: this.#offset(o + 48, 'sh_addralign'),
        entsize: this.#offset(o + 56, 'sh_entsize'),
      };
      if (section.type !== SectionType.NOBITS && section.type !== SectionType.NULL) {
        this.#need(section.offset, section.size, `section ${i} contents`);
      }
      raw.push(section);
    }
    const names = raw[strndx];
    if (count > 0 && (!names || names.type !== SectionType.STRTAB)) {
      throw new ElfError(`section name table index ${strndx} is not a string table`, 62);
    }
    for (const s of raw) s.name = names ? this.#string(names, this.#u32(h.shoff + s.index * 64)) : '';
    return raw;
  }

  #string(table: ElfSection, offset: number): string {
    if (offset >= table.size)
      throw new ElfError(
        `string offset ${offset} is outside ${table.name || 'a string table'}`,
        table.offset,
      );
    const start = table.offset + offset;
    const end = this.bytes.indexOf(0, start);
    if (end < 0 || end >= table.offset + table.size) throw new ElfError('unterminated string', start);
    return decoder.decode(this.bytes.subarray(start, end));
  }

  /** The contents of a section (empty for NOBITS). */
  data(section: ElfSection): Uint8Array {
    if (section.type === SectionType.NOBITS) return new Uint8Array(0);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /** The section with this name, or undefined. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The symbols of `.symtab` (index 0 is the null symbol). */
  get symbols(): readonly ElfSymbol[] {
    this.#symbols ??= this.#readSymbols();
    return this.#symbols;
  }

  #readSymbols(): ElfSymbol[] {
    const tab = this.sections.find((s) => s.type === SectionType.SYMTAB);
    if (!tab) return [];
    if (tab.entsize !== 24) throw new ElfError(`symbol size ${tab.entsize}, expected 24`, tab.offset);
    const strings = this.sections[tab.link];
    if (!strings || strings.type !== SectionType.STRTAB)
      throw new ElfError('symbol table has no string table', tab.offset);
    const out: ElfSymbol[] = [];
    for (let i = 0; i < Math.floor(tab.size / 24); i++) {
      const o = tab.offset + i * 24;
      const info = this.bytes[o + 4]!;
      out.push({
        index: i,
        name: this.#string(strings, this.#u32(o)),
        bind: info >> 4,
        type: info & 0xf,
        visibility: this.bytes[o + 5]! & 3,
        section: this.#u16(o + 6),
        value: this.#u64(o + 8),
        size: this.#u64(o + 16),
      });
    }
    return out;
  }

  /** The relocations of a REL or RELA section. */
  relocations(section: ElfSection): ElfRelocation[] {
    const rela = section.type === SectionType.RELA;
    if (!rela && section.type !== SectionType.REL)
      throw new ElfError(`section ${section.name} holds no relocations`);
    const size = rela ? 24 : 16;
    const out: ElfRelocation[] = [];
    const symbolCount = this.symbols.length;
    for (let i = 0; i < Math.floor(section.size / size); i++) {
      const o = section.offset + i * size;
      const info = this.#u64(o + 8);
      const symbol = Number(info >> 32n);
      if (symbol >= symbolCount)
        throw new ElfError(`relocation ${i} of ${section.name} names symbol ${symbol}`, o);
      out.push({
        offset: this.#u64(o),
        symbol,
        type: Number(info & 0xffffffffn),
        addend: rela ? this.#view.getBigInt64(o + 16, this.header.littleEndian) : 0n,
      });
    }
    return out;
  }

  /** REL/RELA sections by the index of the section they apply to. */
  relocationSections(): Map<number, ElfSection> {
    const out = new Map<number, ElfSection>();
    for (const s of this.sections) {
      if (s.type === SectionType.REL || s.type === SectionType.RELA) out.set(s.info, s);
    }
    return out;
  }
}

/** Parses an ELF64 object. @throws ElfError for truncated or corrupt input. */
export function parseElf(bytes: Uint8Array): ElfFile {
  return new ElfFile(bytes);
}
