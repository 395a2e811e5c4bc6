/**
 * @packageDocumentation
 * `@ts-ebpf/elf-reader`: a small, bounds-checked ELF64 reader (header, sections, symbol
 * tables, program headers, relocations) in either byte order, and `stripDebugSections`, which
 * rewrites a relocatable object without its DWARF sections. Pure: no FFI, no `node:` module.
 */

export {
  Machine,
  machineName,
  SectionFlag,
  SectionType,
  SegmentType,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHN_XINDEX,
  SymbolBind,
  SymbolType,
} from './constants.js';
export { ElfError } from './errors.js';
export { type ElfHeader, parseElfHeader } from './header.js';
export { ElfFile, parseElf } from './reader.js';
export type { ElfRelocation, ElfSection, ElfSegment, ElfSymbol } from './records.js';
export { stripDebugSections } from './strip.js';
