import { isLittleEndian } from '@ts-ebpf/uapi';
import {
  Elf64Size,
  ET_REL,
  SectionFlag,
  SectionType,
  SHF_INFO_LINK,
  SHN_LORESERVE,
  SHN_UNDEF,
} from './constants.js';
import { ElfError } from './errors.js';
import { type ElfFile, parseElf } from './reader.js';
import type { ElfSection } from './records.js';
import { type ElfStringTable, type SectionToWrite, writeElfObject } from './writer.js';

/** `SHT_GROUP`: its contents are section indexes. */
const SHT_GROUP = 17;
/** `EI_OSABI`, followed by `EI_ABIVERSION`: where in `e_ident` the target's ABI is. */
const EI_OSABI = 7;

/** A DWARF section (`.debug_info`, `.debug`, compressed `.zdebug_*`) that no loader needs. */
function isDebugSection(s: ElfSection): boolean {
  return (s.flags & BigInt(SectionFlag.ALLOC)) === 0n && /^\.z?debug(_|$)/.test(s.name);
}

/**
 * A copy of a relocatable ELF64 object without its DWARF sections: every non-allocated
 * section named `.debug_*` (or `.debug`, `.zdebug_*`) and the relocation sections that apply
 * to them (`.rel.debug_*`, `.rela.debug_*`). What a BPF loader reads stays: the code, the maps
 * and data, `.BTF` and `.BTF.ext` (func_info, line_info, CO-RE relocations), the symbol table.
 *
 * The object is rewritten consistently, in its own byte order: the sections left are
 * renumbered (section header table, `e_shnum`, `e_shstrndx`, each `sh_link` and the section
 * index of `sh_info`, each symbol's `st_shndx`); the symbols defined in removed sections (their
 * section symbols) leave the symbol table, and the symbol indexes that follow are renumbered in
 * the relocations left, the symbol table's `sh_info` (its first global) and `.llvm_addrsig`.
 * The string tables are kept as they are; the file is laid out anew by {@link writeElfObject}
 * (the ELF header keeps `e_machine`, `e_flags`, `EI_OSABI` and `EI_ABIVERSION`). An object
 * without DWARF sections comes back as a copy.
 *
 * Accepts any Uint8Array (a Buffer, a subarray at any offset) and never writes into it.
 * @returns a new array with the stripped object
 * @throws ElfError for input that is not a relocatable ELF64 object or is corrupt, for a
 * section this function does not rewrite (a section group, extended section indexes), for
 * program headers, for a section left whose `sh_addralign` is no power of two up to 65536, and
 * for a section or relocation left that refers to a removed section or symbol
 */
export function stripDebugSections(bytes: Uint8Array): Uint8Array {
  const elf = parseElf(bytes);
  const h = elf.header;
  if (h.type !== ET_REL)
    throw new ElfError(`stripping debug sections: e_type ${h.type} is not a relocatable object (ET_REL)`, 16);
  const removed = new Set<number>();
  for (const s of elf.sections) if (isDebugSection(s)) removed.add(s.index);
  // A copy (`slice` of a Node Buffer would share its memory).
  if (removed.size === 0) return new Uint8Array(bytes);
  for (const s of elf.sections) {
    if ((s.type === SectionType.REL || s.type === SectionType.RELA) && removed.has(s.info))
      removed.add(s.index);
    if (s.type === SHT_GROUP || s.type === SectionType.SYMTAB_SHNDX)
      throw new ElfError(
        `stripping debug sections: section ${s.index} (${s.name}) holds section indexes (${s.type === SHT_GROUP ? 'SHT_GROUP' : 'SHT_SYMTAB_SHNDX'}), which are not rewritten`,
        s.offset,
      );
  }
  if (h.phnum !== 0)
    throw new ElfError(
      `stripping debug sections: ${h.phnum} program headers (e_phnum) are not rewritten`,
      56,
    );
  const le = isLittleEndian(h.byteOrder);
  const count = elf.sections.length;
  if (count >= SHN_LORESERVE || h.shnum === 0)
    throw new ElfError(
      `stripping debug sections: ${count} sections in extended numbering are not rewritten`,
      60,
    );

  // Old section index → new one (undefined: removed).
  const sectionMap: (number | undefined)[] = [];
  const kept = elf.sections.filter((s) => !removed.has(s.index));
  kept.forEach((s, i) => {
    sectionMap[s.index] = i;
  });
  const newSection = (old: number, what: string, at: number): number => {
    if (old === SHN_UNDEF || old >= SHN_LORESERVE) return old;
    const n = sectionMap[old];
    if (n === undefined)
      throw new ElfError(
        `stripping debug sections: ${what} refers to section ${old}${old < count ? ` (${elf.sections[old]!.name}), which is removed` : `, which does not exist`}`,
        at,
      );
    return n;
  };

  const symtab = kept.find((s) => s.type === SectionType.SYMTAB);
  const symbolMap = symtab ? symbolIndexes(elf.symbols, removed) : [];
  const contents = new Map<number, Uint8Array>();
  const infos = new Map<number, number>();
  if (symtab) {
    const r = rewriteSymbols(elf.bytes, symtab, symbolMap, le, newSection);
    contents.set(symtab.index, r.bytes);
    infos.set(symtab.index, r.firstGlobal);
  }
  for (const s of kept) {
    if ((s.type === SectionType.REL || s.type === SectionType.RELA) && symtab && s.link === symtab.index)
      contents.set(s.index, rewriteRelocations(elf.data(s), s, symbolMap, le));
    else if (s.type === SectionType.LLVM_ADDRSIG && symtab && s.link === symtab.index)
      contents.set(s.index, rewriteAddrsig(elf.data(s), s, symbolMap));
  }
  const sections = kept.slice(1).map((s): SectionToWrite => {
    const was = h.shoff + s.index * Elf64Size.SECTION_HEADER;
    const what = (field: string) => `${field} of section ${s.index} (${s.name})`;
    const infoIsSection =
      s.type === SectionType.REL || s.type === SectionType.RELA || (s.flags & SHF_INFO_LINK) !== 0n;
    // NOBITS and NULL sections have no contents; the name table's are the writer's.
    const noData = s.index === h.shstrndx || s.type === SectionType.NULL;
    return {
      name: s.name,
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      link: s.link === 0 ? 0 : newSection(s.link, what('sh_link'), was + 40),
      info: infos.get(s.index) ?? (infoIsSection ? newSection(s.info, what('sh_info'), was + 44) : s.info),
      addralign: s.addralign,
      entsize: s.entsize,
      ...(s.type === SectionType.NOBITS
        ? { size: s.size }
        : noData
          ? {}
          : { data: contents.get(s.index) ?? elf.data(s) }),
    };
  });
  const namesSection = newSection(h.shstrndx, 'e_shstrndx', 62);
  try {
    return writeElfObject(sections, {
      byteOrder: h.byteOrder,
      names: keptNames(elf, kept),
      namesSection,
      machine: h.machine,
      flags: h.flags,
      osabi: elf.bytes[EI_OSABI]!,
      abiVersion: elf.bytes[EI_OSABI + 1]!,
    });
  } catch (e) {
    // A field the writer refuses (an sh_addralign that is no power of two up to 65536): the
    // section is named by its new index.
    if (!(e instanceof ElfError)) throw e;
    throw new ElfError(`stripping debug sections: ${e.message}`, undefined, { cause: e });
  }
}

/**
 * The section name table of `elf` as it is, as the writer asks it: each kept section's name at
 * the offset its `sh_name` has (sections of one name share the first's).
 */
function keptNames(elf: ElfFile, kept: readonly ElfSection[]): ElfStringTable {
  const h = elf.header;
  const view = new DataView(elf.bytes.buffer, elf.bytes.byteOffset, elf.bytes.byteLength);
  const offsets = new Map<string, number>();
  for (const s of kept)
    if (!offsets.has(s.name))
      offsets.set(
        s.name,
        view.getUint32(h.shoff + s.index * Elf64Size.SECTION_HEADER, isLittleEndian(h.byteOrder)),
      );
  return {
    add: (name) => offsets.get(name)!,
    bytes: () => elf.data(elf.sections[h.shstrndx]!),
  };
}

/** Old symbol index → new one; undefined for the symbols of removed sections. */
function symbolIndexes(
  symbols: readonly { readonly index: number; readonly section: number }[],
  removed: ReadonlySet<number>,
): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  let next = 0;
  for (const sym of symbols)
    out[sym.index] = sym.index !== 0 && removed.has(sym.section) ? undefined : next++;
  return out;
}

/** The symbol table without the removed symbols, each `st_shndx` renumbered; and its new `sh_info`. */
function rewriteSymbols(
  file: Uint8Array,
  symtab: ElfSection,
  symbolMap: readonly (number | undefined)[],
  le: boolean,
  newSection: (old: number, what: string, at: number) => number,
): { bytes: Uint8Array; firstGlobal: number } {
  const keptCount = symbolMap.filter((n) => n !== undefined).length;
  const out = new Uint8Array(keptCount * 24);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let firstGlobal = 0;
  symbolMap.forEach((n, old) => {
    if (old < symtab.info && n !== undefined) firstGlobal = n + 1;
    if (n === undefined) return;
    const at = symtab.offset + old * 24;
    out.set(file.subarray(at, at + 24), n * 24);
    const shndx = view.getUint16(n * 24 + 6, le);
    view.setUint16(n * 24 + 6, newSection(shndx, `st_shndx of symbol ${old}`, at + 6), le);
  });
  return { bytes: out, firstGlobal };
}

/** A REL or RELA section's entries with their symbol indexes renumbered. */
function rewriteRelocations(
  data: Uint8Array,
  s: ElfSection,
  symbolMap: readonly (number | undefined)[],
  le: boolean,
): Uint8Array {
  const size = s.type === SectionType.RELA ? 24 : 16;
  if (s.entsize !== size || data.byteLength % size !== 0)
    throw new ElfError(
      `section ${s.index} (${s.name}): relocation size ${s.entsize}, expected ${size}`,
      s.offset,
    );
  const out = new Uint8Array(data);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // r_info: the symbol in its high word.
  const symbolAt = le ? 12 : 8;
  for (let o = 0; o < out.byteLength; o += size) {
    const old = view.getUint32(o + symbolAt, le);
    const n = symbolMap[old];
    if (n === undefined)
      throw new ElfError(
        `stripping debug sections: relocation ${o / size} of section ${s.index} (${s.name}) uses symbol ${old}, ${old < symbolMap.length ? 'which is in a removed section' : 'past the symbol table'}`,
        s.offset + o,
      );
    view.setUint32(o + symbolAt, n, le);
  }
  return out;
}

/**
 * `.llvm_addrsig` (the address-significant symbols, ULEB128 symbol indexes) renumbered; symbols
 * of removed sections leave it.
 */
function rewriteAddrsig(
  data: Uint8Array,
  s: ElfSection,
  symbolMap: readonly (number | undefined)[],
): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.byteLength) {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = data[i++];
      if (b === undefined || scale > 2 ** 28)
        throw new ElfError(
          `section ${s.index} (${s.name}): a symbol index (ULEB128) is cut off or too large`,
          s.offset + i,
        );
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) break;
    }
    const n = symbolMap[value];
    if (n === undefined) continue;
    let v = n;
    do {
      out.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
      v = Math.floor(v / 128);
    } while (v > 0);
  }
  return Uint8Array.from(out);
}
