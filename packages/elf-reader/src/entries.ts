import { type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import { Elf64Size, SectionType, SymbolBind } from './constants.js';
import { ElfError } from './errors.js';
import type { ElfRelocation, ElfSymbol } from './records.js';
import { type ElfStringTable, isUint, type SectionToWrite } from './writer.js';

/** One symbol for {@link encodeSymbols}: an {@link ElfSymbol} without its index (its place in the list). */
export type SymbolToWrite = Omit<ElfSymbol, 'index'>;

/** One relocation for {@link encodeRelocations}: `addend` only for RELA (default 0). */
export type RelocationToWrite = Omit<ElfRelocation, 'addend'> & { readonly addend?: bigint };

/**
 * The contents of a symbol table section (`.symtab`, `sh_entsize` 24): `symbols` in order, the
 * null symbol first, each name added to `strings` (the table `sh_link` names). The inverse of
 * {@link ElfFile.symbols}; `sh_info` (the first global's index) is the caller's.
 * @throws ElfError naming the symbol whose bind, type, section or value is out of range
 */
export function encodeSymbols(
  symbols: readonly SymbolToWrite[],
  strings: ElfStringTable,
  byteOrder: ByteOrder,
): Uint8Array {
  const le = isLittleEndian(byteOrder);
  const size = Elf64Size.SYMBOL;
  const out = new Uint8Array(symbols.length * size);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  symbols.forEach((s, i) => {
    if (!(isUint(s.bind, 0xf) && isUint(s.type, 0xf) && isUint(s.section, 0xffff)))
      throw new ElfError(
        `symbol ${i} (${s.name}): bind ${s.bind}, type ${s.type} (4 bits each) or section ${s.section} (16 bits) out of range`,
      );
    const o = i * size;
    v.setUint32(o, strings.add(s.name), le);
    out[o + 4] = (s.bind << 4) | s.type;
    out[o + 5] = s.visibility & 3;
    v.setUint16(o + 6, s.section, le);
    v.setBigUint64(o + 8, s.value, le);
    v.setBigUint64(o + 16, s.size, le);
  });
  return out;
}

/**
 * The contents of a relocation section: REL entries (`r_offset`, `r_info`; `sh_entsize` 16),
 * or with `rela` RELA entries (and `r_addend`; `sh_entsize` 24). `r_info` holds the symbol in
 * its high word and the type in its low word. The inverse of {@link ElfFile.relocations}.
 * @throws ElfError naming the relocation whose symbol or type is no 32-bit unsigned integer, or
 * that has an addend when `rela` is not set
 */
export function encodeRelocations(
  relocations: readonly RelocationToWrite[],
  byteOrder: ByteOrder,
  rela = false,
): Uint8Array {
  const le = isLittleEndian(byteOrder);
  const size = rela ? Elf64Size.RELA : Elf64Size.REL;
  const out = new Uint8Array(relocations.length * size);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  relocations.forEach((r, i) => {
    if (!(isUint(r.symbol, 0xffff_ffff) && isUint(r.type, 0xffff_ffff)))
      throw new ElfError(
        `relocation ${i}: symbol ${r.symbol} or type ${r.type} is no 32-bit unsigned integer`,
      );
    if (!rela && (r.addend ?? 0n) !== 0n)
      throw new ElfError(`relocation ${i}: addend ${r.addend} needs RELA entries (a REL entry has none)`);
    const o = i * size;
    v.setBigUint64(o, r.offset, le);
    v.setBigUint64(o + 8, (BigInt(r.symbol) << 32n) | BigInt(r.type), le);
    if (rela) v.setBigInt64(o + 16, r.addend ?? 0n, le);
  });
  return out;
}

/**
 * The symbol table of `symbols` as two sections for {@link writeElfObject}, to be placed at
 * section `index` and the one after it: `.symtab` ({@link encodeSymbols}' contents, 8-byte
 * aligned, its `sh_link` the string table after it, its `sh_info` the index of the first symbol
 * that is not local) and `.strtab`, the bytes of `strings` once the names are added.
 * @throws ElfError naming a local symbol that follows a global or weak one (locals come first),
 * and as {@link encodeSymbols} does
 */
export function symbolTableSections(
  symbols: readonly SymbolToWrite[],
  strings: ElfStringTable,
  byteOrder: ByteOrder,
  index: number,
): [symtab: SectionToWrite, strtab: SectionToWrite] {
  let firstGlobal = symbols.findIndex((s) => s.bind !== SymbolBind.LOCAL);
  if (firstGlobal < 0) firstGlobal = symbols.length;
  const late = symbols.findIndex((s, i) => i > firstGlobal && s.bind === SymbolBind.LOCAL);
  if (late >= 0)
    throw new ElfError(
      `symbol ${late} (${symbols[late]!.name}) is local but follows symbol ${firstGlobal} (${symbols[firstGlobal]!.name}), which is not: a symbol table lists its locals first`,
    );
  const data = encodeSymbols(symbols, strings, byteOrder);
  return [
    {
      name: '.symtab',
      type: SectionType.SYMTAB,
      link: index + 1,
      info: firstGlobal,
      addralign: 8,
      entsize: Elf64Size.SYMBOL,
      data,
    },
    { name: '.strtab', type: SectionType.STRTAB, data: strings.bytes() },
  ];
}
