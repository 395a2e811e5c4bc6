/**
 * Writing a relocatable ELF64 object (`ET_REL`): section contents, section headers, a symbol
 * table and REL sections, in either byte order. What {@link linkObjects} emits. ELF string
 * tables have BTF's form (NUL-terminated strings, the empty one at offset 0): `StringTable`
 * of `@ts-ebpf/btf` builds both.
 */
import type { StringTable } from '@ts-ebpf/btf';
import { type ElfSymbol, SectionType } from '@ts-ebpf/elf-reader';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { EM_BPF } from '../constants.js';

/** One section to write (its index is its place in the list, plus one: index 0 is the null section). */
export interface OutputSection {
  name: string;
  type: number;
  flags: bigint;
  /** Contents (for NOBITS: none; `size` gives the size). */
  data: Uint8Array;
  size: number;
  addralign: number;
  link: number;
  info: number;
  entsize: number;
}

/** One symbol to write; `section` is an output section index or a special index (SHN_*). */
export type OutputSymbol = Omit<ElfSymbol, 'index'>;

const SYMBOL_SIZE = 24;
const HEADER_SIZE = 64;
const SECTION_HEADER_SIZE = 64;

/** Encodes `symbols` (index 0, the null symbol, first) as `.symtab` contents, naming them in `strings`. */
export function encodeSymbols(
  symbols: readonly OutputSymbol[],
  strings: StringTable,
  order: ByteOrder,
): Uint8Array {
  const le = order === 'little';
  const out = new Uint8Array(symbols.length * SYMBOL_SIZE);
  const v = new DataView(out.buffer);
  symbols.forEach((s, i) => {
    const o = i * SYMBOL_SIZE;
    v.setUint32(o, strings.add(s.name), le);
    out[o + 4] = (s.bind << 4) | (s.type & 0xf);
    out[o + 5] = s.visibility & 3;
    v.setUint16(o + 6, s.section, le);
    v.setBigUint64(o + 8, s.value, le);
    v.setBigUint64(o + 16, s.size, le);
  });
  return out;
}

/** Encodes REL entries (`r_offset`, symbol index, type) in byte order `order`. */
export function encodeRel(
  entries: readonly { offset: bigint; symbol: number; type: number }[],
  order: ByteOrder,
): Uint8Array {
  const le = order === 'little';
  const out = new Uint8Array(entries.length * 16);
  const v = new DataView(out.buffer);
  entries.forEach((e, i) => {
    v.setBigUint64(i * 16, e.offset, le);
    v.setBigUint64(i * 16 + 8, (BigInt(e.symbol) << 32n) | BigInt(e.type), le);
  });
  return out;
}

function alignUp(n: number, a: number): number {
  return a > 1 ? Math.ceil(n / a) * a : n;
}

/**
 * A relocatable BPF ELF64 object of `sections` (after the null section), the last of which must
 * be the section name table `shstrtab` names; `shstrtab` is filled here from the sections' names.
 */
export function writeElf(
  sections: readonly OutputSection[],
  shstrtab: StringTable,
  order: ByteOrder,
): Uint8Array {
  const le = order === 'little';
  const names = sections.map((s) => shstrtab.add(s.name));
  const last = sections[sections.length - 1]!;
  last.data = shstrtab.bytes();
  last.size = last.data.length;
  let at = HEADER_SIZE;
  const offsets: number[] = [];
  for (const s of sections) {
    at = alignUp(at, Math.max(1, s.addralign));
    offsets.push(at);
    if (s.type !== SectionType.NOBITS) at += s.data.length;
  }
  const shoff = alignUp(at, 8);
  const count = sections.length + 1;
  const out = new Uint8Array(shoff + count * SECTION_HEADER_SIZE);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1], 0);
  v.setUint16(16, 1, le); // ET_REL
  v.setUint16(18, EM_BPF, le);
  v.setUint32(20, 1, le);
  v.setBigUint64(40, BigInt(shoff), le);
  v.setUint16(52, HEADER_SIZE, le);
  v.setUint16(58, SECTION_HEADER_SIZE, le);
  v.setUint16(60, count, le);
  v.setUint16(62, sections.length, le);
  sections.forEach((s, i) => {
    if (s.type !== SectionType.NOBITS) out.set(s.data, offsets[i]!);
    const h = shoff + (i + 1) * SECTION_HEADER_SIZE;
    v.setUint32(h, names[i]!, le);
    v.setUint32(h + 4, s.type, le);
    v.setBigUint64(h + 8, s.flags, le);
    v.setBigUint64(h + 24, BigInt(offsets[i]!), le);
    v.setBigUint64(h + 32, BigInt(s.size), le);
    v.setUint32(h + 40, s.link, le);
    v.setUint32(h + 44, s.info, le);
    v.setBigUint64(h + 48, BigInt(s.addralign), le);
    v.setBigUint64(h + 56, BigInt(s.entsize), le);
  });
  return out;
}
