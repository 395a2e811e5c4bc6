import type { SectionFlag, SectionType, SegmentType } from './constants.js';

/** The records of an ELF64 file's tables, as the reader returns them. */

/** One section header, with its name resolved. */
export interface ElfSection {
  /** Its index in the section header table. */
  index: number;
  /** Its name, from the section name string table. */
  name: string;
  /** `sh_type`: a {@link SectionType}. */
  type: number;
  /** `sh_flags`: {@link SectionFlag} bits. */
  flags: bigint;
  /** `sh_addr`. */
  addr: bigint;
  /** `sh_offset`: where its contents start in the file. */
  offset: number;
  /** `sh_size` in bytes. */
  size: number;
  /** `sh_link`: the string table of a symbol table, the symbol table of a relocation section. */
  link: number;
  /** `sh_info`: the section a relocation section applies to. */
  info: number;
  /** `sh_addralign`. */
  addralign: number;
  /** `sh_entsize`: the size of one entry of a table section. */
  entsize: number;
}

/** One symbol of a symbol table (`.symtab`, `.dynsym`). */
export interface ElfSymbol {
  /** Its index in its table. */
  index: number;
  /** Its name ('' for unnamed symbols). */
  name: string;
  /** `st_info >> 4`: SymbolBind. */
  bind: number;
  /** `st_info & 0xf`: SymbolType. */
  type: number;
  /** `st_other & 3`: visibility. */
  visibility: number;
  /** Section index (`st_shndx`, or its `SHT_SYMTAB_SHNDX` entry when that is `SHN_XINDEX`). */
  section: number;
  /** `st_value`: offset in its section (objects) or virtual address (executables). */
  value: bigint;
  /** `st_size` in bytes. */
  size: bigint;
}

/** One relocation entry (REL or RELA). */
export interface ElfRelocation {
  /** `r_offset`: where in the target section. */
  offset: bigint;
  /** Index of the symbol in the symbol table. */
  symbol: number;
  /** Relocation type (machine specific). */
  type: number;
  /** `r_addend` (0 for REL). */
  addend: bigint;
}

/** One program header (segment) of an executable or shared library. */
export interface ElfSegment {
  /** `p_type`: a {@link SegmentType}. */
  type: number;
  /** `p_flags`. */
  flags: number;
  /** `p_offset`: where the segment starts in the file. */
  offset: bigint;
  /** `p_vaddr`: its virtual address. */
  vaddr: bigint;
  /** `p_filesz`: bytes of it in the file. */
  filesz: bigint;
  /** `p_memsz`: bytes of it in memory. */
  memsz: bigint;
}
