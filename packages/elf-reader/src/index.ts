/**
 * @packageDocumentation
 * `@ts-ebpf/elf-reader`: a small, bounds-checked ELF64 reader (header, sections, symbol
 * tables, program headers, relocations) in either byte order; `writeElfObject`, which writes a
 * relocatable object; and `stripDebugSections`, which rewrites one without its DWARF sections.
 * Pure: no FFI, no `node:` module.
 */

export {
  Elf64Size,
  ET_REL,
  Machine,
  machineName,
  SectionFlag,
  SectionType,
  SegmentType,
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SymbolBind,
  SymbolType,
} from './constants.js';
export {
  encodeRelocations,
  encodeSymbols,
  type RelocationToWrite,
  type SymbolToWrite,
  symbolTableSections,
} from './entries.js';
export { ElfError } from './errors.js';
export { type ElfHeader, parseElfHeader } from './header.js';
export { ElfFile, parseElf } from './reader.js';
export type { ElfRelocation, ElfSection, ElfSegment, ElfSymbol } from './records.js';
export { stripDebugSections } from './strip.js';
export {
  type ElfStringTable,
  type SectionToWrite,
  type WriteElfOptions,
  writeElfObject,
} from './writer.js';
