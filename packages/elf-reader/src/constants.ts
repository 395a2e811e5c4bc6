/** Section header types (`sh_type`). */
export const SectionType = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  /** The section indexes of symbols whose `st_shndx` is {@link SHN_XINDEX}, one word per symbol. */
  SYMTAB_SHNDX: 18,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** Section flags (`sh_flags`). */
export const SectionFlag = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;

/** `SHF_INFO_LINK`: `sh_info` holds a section index. */
export const SHF_INFO_LINK = 0x40n;

/** Symbol binding (`st_info >> 4`). */
export const SymbolBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;

/** Symbol type (`st_info & 0xf`). */
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, GNU_IFUNC: 10 } as const;

/** Special section indexes. */
export const SHN_UNDEF = 0;
/** Absolute symbol. */
export const SHN_ABS = 0xfff1;
/** Common symbol. */
export const SHN_COMMON = 0xfff2;
/**
 * The real index is elsewhere: `e_shstrndx`'s in section 0's `sh_link`, a symbol's `st_shndx` in
 * the table's `SHT_SYMTAB_SHNDX` section.
 */
export const SHN_XINDEX = 0xffff;

/** `e_type` of a relocatable object (what clang -c writes). */
export const ET_REL = 1;

/** Section indexes from here on are reserved (`SHN_ABS`, `SHN_COMMON` …), not sections. */
export const SHN_LORESERVE = 0xff00;

/** Sizes of the ELF64 records: the file header, a section header, a symbol, a REL and a RELA entry. */
export const Elf64Size = { HEADER: 64, SECTION_HEADER: 64, SYMBOL: 24, REL: 16, RELA: 24 } as const;

/** Program header types (`p_type`). */
export const SegmentType = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4 } as const;

/** Some `e_machine` values, to name the target of an object. */
export const Machine = {
  X86_64: 62,
  AARCH64: 183,
  BPF: 247,
  RISCV: 243,
  S390: 22,
  PPC64: 21,
} as const;

/** The name of an `e_machine` value (`x86-64`, `BPF` …), or its number. */
export function machineName(machine: number): string {
  for (const [name, value] of Object.entries(Machine)) if (value === machine) return name.replace('_', '-');
  return `machine ${machine}`;
}
