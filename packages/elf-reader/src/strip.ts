import { isLittleEndian } from '@ts-ebpf/uapi';
import { SectionFlag, SectionType, SHN_UNDEF } from './constants.js';
import { ElfError } from './errors.js';
import { parseElf } from './reader.js';
import type { ElfSection } from './records.js';

/** `e_type` of a relocatable object (what clang -c writes). */
const ET_REL = 1;
/** `SHF_INFO_LINK`: `sh_info` holds a section index. */
const SHF_INFO_LINK = 0x40n;
/** `SHT_GROUP`: its contents are section indexes. */
const SHT_GROUP = 17;
/** Section indexes from here on are reserved (`SHN_ABS`, `SHN_COMMON` …), not sections. */
const SHN_LORESERVE = 0xff00;

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
 * The string tables are kept as they are. An object without DWARF sections comes back as a copy.
 *
 * Accepts any Uint8Array (a Buffer, a subarray at any offset) and never writes into it.
 * @returns a new array with the stripped object
 * @throws ElfError for input that is not a relocatable ELF64 object or is corrupt, for a
 * section this function does not rewrite (a section group, extended section indexes), and for
 * a section or relocation left that refers to a removed section or symbol
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
  const out = layout(elf.bytes, h.shoff, kept, (s) => contents.get(s.index) ?? elf.data(s), le);
  const view = new DataView(out.buffer);
  const shoff = Number(view.getBigUint64(40, le));
  kept.forEach((s, i) => {
    const at = shoff + i * 64;
    const was = h.shoff + s.index * 64;
    const what = (field: string) => `${field} of section ${s.index} (${s.name})`;
    if (s.link !== 0) view.setUint32(at + 40, newSection(s.link, what('sh_link'), was + 40), le);
    const info = infos.get(s.index);
    if (info !== undefined) view.setUint32(at + 44, info, le);
    else if (s.type === SectionType.REL || s.type === SectionType.RELA || (s.flags & SHF_INFO_LINK) !== 0n)
      view.setUint32(at + 44, newSection(s.info, what('sh_info'), was + 44), le);
  });
  view.setUint16(62, newSection(h.shstrndx, 'e_shstrndx', 62), le);
  return out;
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
  const view = new DataView(out.buffer);
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
  const view = new DataView(out.buffer);
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

/**
 * The new file: the ELF header, the kept sections' contents (`data`) in index order, each
 * aligned as its `sh_addralign` says, then their section headers (copied from `shoff`, with the
 * new `sh_offset` and `sh_size`; `e_shoff` and `e_shnum` set). Links are the caller's to renumber.
 */
function layout(
  file: Uint8Array,
  shoff: number,
  kept: readonly ElfSection[],
  data: (s: ElfSection) => Uint8Array,
  le: boolean,
): Uint8Array {
  const align = (at: number, to: number) => Math.ceil(at / to) * to;
  const placed: { s: ElfSection; bytes: Uint8Array; offset: number }[] = [];
  let end = 64;
  for (const s of kept) {
    const a = Math.max(1, s.addralign);
    if ((a & (a - 1)) !== 0 || a > 0x10000)
      throw new ElfError(
        `section ${s.index} (${s.name}): sh_addralign ${s.addralign} is not a power of two up to 65536`,
        shoff + s.index * 64 + 48,
      );
    const bytes = s.type === SectionType.NULL ? new Uint8Array(0) : data(s);
    const offset = s.type === SectionType.NULL ? 0 : align(end, a);
    placed.push({ s, bytes, offset });
    if (s.type !== SectionType.NULL) end = offset + bytes.byteLength;
  }
  const headers = align(end, 8);
  const out = new Uint8Array(headers + kept.length * 64);
  const view = new DataView(out.buffer);
  out.set(file.subarray(0, 64));
  for (const [i, { s, bytes, offset }] of placed.entries()) {
    out.set(bytes, offset);
    const at = headers + i * 64;
    out.set(file.subarray(shoff + s.index * 64, shoff + s.index * 64 + 64), at);
    view.setBigUint64(at + 24, BigInt(offset), le);
    if (s.type !== SectionType.NOBITS) view.setBigUint64(at + 32, BigInt(bytes.byteLength), le);
  }
  view.setBigUint64(40, BigInt(headers), le);
  view.setUint16(60, kept.length, le);
  return out;
}
