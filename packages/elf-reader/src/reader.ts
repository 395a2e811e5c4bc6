import { asciiText, isLittleEndian } from '@ts-ebpf/uapi';
import { need, safeU64 } from './bounds.js';
import { SectionType, SegmentType, SHN_XINDEX } from './constants.js';
import { ElfError } from './errors.js';
import { type ElfHeader, parseElfHeader } from './header.js';
import type { ElfRelocation, ElfSection, ElfSegment, ElfSymbol } from './records.js';
import { utf8 } from './utf8.js';

/** How an error names a section: its index, and its name once known. */
function sectionLabel(s: ElfSection): string {
  return s.name === '' ? `section ${s.index}` : `section ${s.index} (${s.name})`;
}

/**
 * A bounds-checked reader of an ELF64 object in either byte order. Every read
 * that would leave the file throws {@link ElfError} with the offset.
 */
export class ElfFile {
  /** The whole file. */
  readonly bytes: Uint8Array;
  /** The ELF header. */
  readonly header: ElfHeader;
  /** Every section header, in file order. */
  readonly sections: readonly ElfSection[];
  readonly #view: DataView;
  #le = true;
  #symbols: ElfSymbol[] | undefined;
  #segments: ElfSegment[] | undefined;
  /** String tables read whole, by section index (see `#tableText`). */
  #tables: Map<number, string | null> | undefined;

  /** Parses the header and the section headers. @throws ElfError for truncated or corrupt input */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = parseElfHeader(bytes);
    this.#le = isLittleEndian(this.header.byteOrder);
    this.sections = this.#readSections();
  }

  #need(offset: number, size: number, what: string): void {
    need(this.bytes, offset, size, what);
  }

  #u16(o: number): number {
    return this.#view.getUint16(o, this.#le);
  }
  #u32(o: number): number {
    return this.#view.getUint32(o, this.#le);
  }
  #u64(o: number): bigint {
    return this.#view.getBigUint64(o, this.#le);
  }
  #offset(o: number, what: string): number {
    return safeU64(this.#view, o, this.#le, what, o);
  }

  #readSections(): ElfSection[] {
    const h = this.header;
    if (h.shoff === 0) return [];
    this.#need(h.shoff, 64, 'section header 0 (e_shoff)');
    let count = h.shnum;
    let strndx = h.shstrndx;
    if (count === 0) count = this.#offset(h.shoff + 32, 'section count (sh_size of section 0)');
    if (strndx === SHN_XINDEX) strndx = this.#u32(h.shoff + 40);
    if (count > 0xffffff) throw new ElfError(`implausible section count ${count}`, h.shoff);
    this.#need(h.shoff, count * 64, `${count} section headers (e_shoff, e_shnum)`);
    const raw: ElfSection[] = [];
    for (let i = 0; i < count; i++) {
      const o = h.shoff + i * 64;
      const field = (at: number, name: string) => this.#offset(o + at, `section ${i} ${name}`);
      raw.push({
        index: i,
        name: '',
        type: this.#u32(o + 4),
        flags: this.#u64(o + 8),
        addr: this.#u64(o + 16),
        offset: field(24, 'sh_offset'),
        size: field(32, 'sh_size'),
        link: this.#u32(o + 40),
        info: this.#u32(o + 44),
        addralign: field(48, 'sh_addralign'),
        entsize: field(56, 'sh_entsize'),
      });
    }
    const names = raw[strndx];
    if (count > 0 && (!names || names.type !== SectionType.STRTAB)) {
      throw new ElfError(`section name table index ${strndx} (e_shstrndx) is not a string table`, 62);
    }
    // The name table's bounds first: the other sections' names come from it, and their errors say them.
    if (names) this.#checkContents(names);
    for (const s of raw) {
      if (names)
        s.name = this.#string(names, this.#u32(h.shoff + s.index * 64), `section ${s.index} sh_name`);
      this.#checkContents(s);
    }
    return raw;
  }

  /** Refuses a section whose contents (`sh_offset`, `sh_size`) leave the file; NOBITS has none. */
  #checkContents(s: ElfSection): void {
    if (s.type === SectionType.NOBITS || s.type === SectionType.NULL) return;
    this.#need(s.offset, s.size, `${sectionLabel(s)} contents (sh_offset, sh_size)`);
  }

  /**
   * The NUL-terminated string at `offset` of string table `table`.
   * @throws ElfError naming `what` (the field holding the offset) for an offset outside the table
   * or a string that runs past its end
   */
  #string(table: ElfSection, offset: number, what: string): string {
    if (offset >= table.size)
      throw new ElfError(
        `${what}: string offset ${offset} is outside ${sectionLabel(table)} (${table.size} bytes)`,
        table.offset,
      );
    const start = table.offset + offset;
    const unterminated = () =>
      new ElfError(`${what}: unterminated string at offset ${offset} of ${sectionLabel(table)}`, start);
    const text = this.#tableText(table);
    if (text !== null) {
      // The table's text holds its bytes one char each: a NUL after `offset` ends the string.
      const end = text.indexOf('\0', offset);
      if (end < 0) throw unterminated();
      return text.slice(offset, end);
    }
    const end = this.bytes.indexOf(0, start);
    if (end < 0 || end >= table.offset + table.size) throw unterminated();
    return utf8(this.bytes, start, end);
  }

  /**
   * The whole of an ASCII string table as one string, read once (null for a table with other
   * bytes, whose strings are decoded one by one): each name is then a slice of it, where a
   * search of the bytes for its end and a string built from them cost several times more.
   */
  #tableText(table: ElfSection): string | null {
    this.#tables ??= new Map();
    let text = this.#tables.get(table.index);
    if (text === undefined) {
      text = asciiText(this.bytes, table.offset, table.offset + table.size);
      this.#tables.set(table.index, text);
    }
    return text;
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

  /** The symbols of `.symtab` (index 0 is the null symbol); empty when there is none. */
  get symbols(): readonly ElfSymbol[] {
    this.#symbols ??= this.#readSymbols();
    return this.#symbols;
  }

  #readSymbols(): ElfSymbol[] {
    const tab = this.sections.find((s) => s.type === SectionType.SYMTAB);
    return tab ? this.symbolTable(tab) : [];
  }

  /**
   * The symbols of a symbol table section (`SHT_SYMTAB` or `SHT_DYNSYM`), index 0 first.
   * @throws ElfError when `tab` is no symbol table or is corrupt
   */
  symbolTable(tab: ElfSection): ElfSymbol[] {
    const label = sectionLabel(tab);
    if (tab.type !== SectionType.SYMTAB && tab.type !== SectionType.DYNSYM)
      throw new ElfError(`${label} is not a symbol table`, tab.offset);
    if (tab.entsize !== 24)
      throw new ElfError(`${label}: symbol size (sh_entsize) ${tab.entsize}, expected 24`, tab.offset);
    if (tab.size % 24 !== 0)
      throw new ElfError(
        `${label}: sh_size ${tab.size} is not a whole number of 24-byte symbols`,
        tab.offset,
      );
    const strings = this.sections[tab.link];
    if (!strings || strings.type !== SectionType.STRTAB)
      throw new ElfError(`${label}: sh_link ${tab.link} is not a string table`, tab.offset);
    const out: ElfSymbol[] = [];
    for (let i = 0; i < tab.size / 24; i++) {
      const o = tab.offset + i * 24;
      const info = this.bytes[o + 4]!;
      out.push({
        index: i,
        name: this.#string(strings, this.#u32(o), `symbol ${i} of ${label} st_name`),
        bind: info >> 4,
        type: info & 0xf,
        visibility: this.bytes[o + 5]! & 3,
        section: this.#u16(o + 6),
        value: this.#u64(o + 8),
        size: this.#u64(o + 16),
      });
    }
    const extended = out.filter((sym) => sym.section === SHN_XINDEX);
    if (extended.length > 0) {
      const indexes = this.#extendedIndexes(tab, label, extended[0]!);
      for (const sym of extended) sym.section = indexes(sym.index);
    }
    return out;
  }

  /**
   * The reader of a symbol table's extended section indexes: the `SHT_SYMTAB_SHNDX` section
   * linked to it holds, for a symbol whose `st_shndx` is `SHN_XINDEX`, its real section index
   * (one 32-bit word per symbol of the table).
   * @throws ElfError naming `first` (a symbol that needs it) when the table has no such section,
   * or one of another size
   */
  #extendedIndexes(tab: ElfSection, label: string, first: ElfSymbol): (symbol: number) => number {
    const table = this.sections.find((s) => s.type === SectionType.SYMTAB_SHNDX && s.link === tab.index);
    if (!table)
      throw new ElfError(
        `symbol ${first.index} of ${label}: st_shndx is SHN_XINDEX but no SHT_SYMTAB_SHNDX section links to it`,
        tab.offset + first.index * 24 + 6,
      );
    if (table.size !== (tab.size / 24) * 4)
      throw new ElfError(
        `${sectionLabel(table)}: sh_size ${table.size}, expected 4 bytes for each of the ${tab.size / 24} symbols of ${label}`,
        table.offset,
      );
    return (symbol) => this.#u32(table.offset + symbol * 4);
  }

  /** The program headers (segments); empty for relocatable objects. */
  get segments(): readonly ElfSegment[] {
    this.#segments ??= this.#readSegments();
    return this.#segments;
  }

  #readSegments(): ElfSegment[] {
    const h = this.header;
    if (h.phoff === 0 || h.phnum === 0) return [];
    if (h.phentsize !== 56) throw new ElfError(`program header size ${h.phentsize}, expected 56`, 54);
    this.#need(h.phoff, h.phnum * 56, `${h.phnum} program headers (e_phoff, e_phnum)`);
    const out: ElfSegment[] = [];
    for (let i = 0; i < h.phnum; i++) {
      const o = h.phoff + i * 56;
      out.push({
        type: this.#u32(o),
        flags: this.#u32(o + 4),
        offset: this.#u64(o + 8),
        vaddr: this.#u64(o + 16),
        filesz: this.#u64(o + 32),
        memsz: this.#u64(o + 40),
      });
    }
    return out;
  }

  /**
   * The file offset of a virtual address, through the loadable segment whose file bytes hold it;
   * the address itself in a file without loadable segments (a relocatable object, whose symbol
   * values are section offsets).
   * @throws ElfError for an address no loadable segment has file bytes for (one of `.bss`, which
   * only memory holds, or outside every segment): it has no file offset
   */
  addressToOffset(address: bigint): bigint {
    let loadable = false;
    for (const s of this.segments) {
      if (s.type !== SegmentType.LOAD) continue;
      loadable = true;
      if (address >= s.vaddr && address < s.vaddr + s.filesz) return address - s.vaddr + s.offset;
    }
    if (!loadable) return address;
    throw new ElfError(
      `address 0x${address.toString(16)} is in no loadable segment's file bytes (PT_LOAD p_vaddr..p_vaddr + p_filesz): it has no file offset`,
    );
  }

  /** The relocations of a REL or RELA section. */
  relocations(section: ElfSection): ElfRelocation[] {
    const rela = section.type === SectionType.RELA;
    const label = sectionLabel(section);
    if (!rela && section.type !== SectionType.REL)
      throw new ElfError(`${label} holds no relocations`, section.offset);
    const size = rela ? 24 : 16;
    if (section.entsize !== size)
      throw new ElfError(
        `${label}: relocation size (sh_entsize) ${section.entsize}, expected ${size}`,
        section.offset,
      );
    if (section.size % size !== 0)
      throw new ElfError(
        `${label}: sh_size ${section.size} is not a whole number of ${size}-byte relocations`,
        section.offset,
      );
    const out: ElfRelocation[] = [];
    const symbolCount = this.symbols.length;
    const le = this.#le;
    for (let i = 0; i < section.size / size; i++) {
      const o = section.offset + i * size;
      // r_info: the symbol in its high word, the type in its low word.
      const symbol = this.#u32(le ? o + 12 : o + 8);
      if (symbol >= symbolCount)
        throw new ElfError(
          `relocation ${i} of ${label} names symbol ${symbol}, past the ${symbolCount} of the symbol table`,
          o,
        );
      out.push({
        offset: this.#u64(o),
        symbol,
        type: this.#u32(le ? o + 8 : o + 12),
        addend: rela ? this.#view.getBigInt64(o + 16, this.#le) : 0n,
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

/**
 * Parses an ELF64 file of either byte order. Reads through a view of `bytes` (any
 * Uint8Array: a Buffer, a subarray at any offset) and never writes into them.
 * @throws ElfError for truncated or corrupt input
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  return new ElfFile(bytes);
}
