import { type ByteOrder, isLittleEndian } from '@ts-ebpf/uapi';
import { Elf64Size, ET_REL, Machine, SectionType, SHF_INFO_LINK, SHN_LORESERVE } from './constants.js';
import { ElfError } from './errors.js';

/**
 * A string table being built (NUL-terminated strings, the empty one at offset 0): where
 * {@link writeElfObject} puts section names and {@link encodeSymbols} symbol names.
 * `StringTable` of `@ts-ebpf/btf` is one.
 */
export interface ElfStringTable {
  /** Adds `name` (once) and returns its offset in the table. */
  add(name: string): number;
  /** The table's bytes, with every name added so far. */
  bytes(): Uint8Array;
}

/** One section for {@link writeElfObject}; the first is section 1 (0 is the null section). */
export interface SectionToWrite {
  /** Its name, added to the section name table. */
  readonly name: string;
  /** `sh_type`: a {@link SectionType}. */
  readonly type: number;
  /** `sh_flags`: {@link SectionFlag} bits (default none). */
  readonly flags?: bigint;
  /** `sh_addr` (default 0). */
  readonly addr?: bigint;
  /** `sh_link`: a section index (default 0). */
  readonly link?: number;
  /** `sh_info`: a section index for REL, RELA and `SHF_INFO_LINK` sections (default 0). */
  readonly info?: number;
  /** `sh_addralign`: 0, or a power of two up to 65536 (default 1); the contents start at a multiple of it. */
  readonly addralign?: number;
  /** `sh_entsize`: the size of one entry of a table (default 0). */
  readonly entsize?: number;
  /** Its contents (default none); none for NOBITS, NULL and the section name table. */
  readonly data?: Uint8Array;
  /** A NOBITS section's size (default 0); other sections' size is their contents'. */
  readonly size?: number;
}

/** Options of {@link writeElfObject}. */
export interface WriteElfOptions {
  /** `EI_DATA`: the byte order of every field written. Contents are written as given. */
  readonly byteOrder: ByteOrder;
  /** Where the section names go: its bytes become the contents of section `namesSection`. */
  readonly names: ElfStringTable;
  /** `e_shstrndx`: the index of the `SHT_STRTAB` section that holds `names` (given no `data`). */
  readonly namesSection: number;
  /** `e_machine` (default {@link Machine}.BPF). */
  readonly machine?: number;
  /** `e_flags` (default 0). */
  readonly flags?: number;
  /** `EI_OSABI` (default 0, System V). */
  readonly osabi?: number;
  /** `EI_ABIVERSION` (default 0). */
  readonly abiVersion?: number;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** The largest `sh_addralign` written: more would pad the file with up to as many zeros. */
const MAX_ALIGN = 0x10000;

/** Whether `n` is an integer from 0 to `max`. */
export const isUint = (n: unknown, max: number): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max;
const isU64 = (n: unknown): n is bigint => typeof n === 'bigint' && n >= 0n && n <= U64_MAX;

/** A section with its defaults filled in and its place in the file. */
interface Placed {
  readonly s: SectionToWrite;
  readonly name: number;
  readonly data: Uint8Array;
  readonly size: number;
  readonly offset: number;
}

/**
 * Writes a relocatable ELF64 object (`ET_REL`): the ELF header, each section's contents at the
 * next multiple of its `sh_addralign` after the previous one's (in the order given, from byte
 * 64), then the section header table at the next multiple of 8. Section 0 is the null section;
 * `sections[i]` is section `i + 1`. Every section's name is added to `names` in order, then the
 * table's bytes are the contents of section `namesSection`. No program headers (`e_entry`,
 * `e_phoff` and `e_phnum` are 0); no extended section numbering.
 *
 * Links are written as given: a symbol table's `sh_link` (its string table) and `sh_info` (its
 * first global), a relocation section's `sh_link` (its symbol table) and `sh_info` (the section
 * it applies to) are the caller's; {@link encodeSymbols} and {@link encodeRelocations} make their
 * contents. The same input always gives the same bytes; contents are copied, never written into.
 *
 * @example
 * ```ts
 * const names = new StringTable(); // of @ts-ebpf/btf
 * const object = writeElfObject(
 *   [
 *     { name: 'license', type: SectionType.PROGBITS, flags: BigInt(SectionFlag.ALLOC), data: gpl },
 *     { name: '.shstrtab', type: SectionType.STRTAB },
 *   ],
 *   { byteOrder: 'little', names, namesSection: 2 },
 * );
 * ```
 * @returns the object's bytes
 * @throws ElfError naming the section (its index and name) whose fields are out of range, whose
 * `sh_addralign` is no power of two up to 65536, whose `sh_link` (or section `sh_info`) names no
 * section, a NOBITS or NULL section given contents, another given a `size` other than its
 * contents'; and for a `namesSection` that is no STRTAB section of the list, or 65280 sections
 * or more (extended numbering)
 */
export function writeElfObject(sections: readonly SectionToWrite[], options: WriteElfOptions): Uint8Array {
  const { byteOrder, names, namesSection } = options;
  if (byteOrder !== 'little' && byteOrder !== 'big')
    throw new ElfError(
      `writing an ELF object: byte order ${String(byteOrder)} is neither 'little' nor 'big'`,
    );
  const le = isLittleEndian(byteOrder);
  const count = sections.length + 1;
  if (count >= SHN_LORESERVE)
    throw new ElfError(
      `writing an ELF object: ${count} sections need extended numbering (${SHN_LORESERVE - 1} at most here)`,
    );
  const header = checkHeader(options);
  const nameTable = sections[namesSection - 1];
  if (!isUint(namesSection, count - 1) || namesSection === 0 || nameTable?.type !== SectionType.STRTAB)
    throw new ElfError(
      `writing an ELF object: namesSection ${namesSection} is not ${nameTable ? `a string table: section ${namesSection} (${nameTable.name}) has type ${nameTable.type}` : `one of the ${sections.length} sections`}`,
    );
  sections.forEach((s, i) => {
    checkSection(s, i + 1, count, i + 1 === namesSection);
  });
  const nameOffsets = sections.map((s) => names.add(s.name));
  const placed: Placed[] = [];
  let end = Elf64Size.HEADER;
  sections.forEach((s, i) => {
    const data = i + 1 === namesSection ? names.bytes() : (s.data ?? new Uint8Array(0));
    const nobits = s.type === SectionType.NOBITS;
    // A NULL section has no contents and no place in the file.
    const offset = s.type === SectionType.NULL ? 0 : alignUp(end, Math.max(1, s.addralign ?? 1));
    placed.push({ s, name: nameOffsets[i]!, data, size: nobits ? (s.size ?? 0) : data.byteLength, offset });
    if (s.type !== SectionType.NULL) end = offset + (nobits ? 0 : data.byteLength);
  });
  const shoff = alignUp(end, 8);
  const out = new Uint8Array(shoff + count * Elf64Size.SECTION_HEADER);
  const v = new DataView(out.buffer);
  // e_ident: magic, ELFCLASS64, EI_DATA, EV_CURRENT, EI_OSABI, EI_ABIVERSION.
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1, header.osabi, header.abiVersion], 0);
  v.setUint16(16, ET_REL, le);
  v.setUint16(18, header.machine, le);
  v.setUint32(20, 1, le);
  v.setBigUint64(40, BigInt(shoff), le);
  v.setUint32(48, header.flags, le);
  v.setUint16(52, Elf64Size.HEADER, le);
  v.setUint16(58, Elf64Size.SECTION_HEADER, le);
  v.setUint16(60, count, le);
  v.setUint16(62, namesSection, le);
  placed.forEach(({ s, name, data, size, offset }, i) => {
    if (s.type !== SectionType.NOBITS) out.set(data, offset);
    const h = shoff + (i + 1) * Elf64Size.SECTION_HEADER;
    v.setUint32(h, name, le);
    v.setUint32(h + 4, s.type, le);
    v.setBigUint64(h + 8, s.flags ?? 0n, le);
    v.setBigUint64(h + 16, s.addr ?? 0n, le);
    v.setBigUint64(h + 24, BigInt(offset), le);
    v.setBigUint64(h + 32, BigInt(size), le);
    v.setUint32(h + 40, s.link ?? 0, le);
    v.setUint32(h + 44, s.info ?? 0, le);
    v.setBigUint64(h + 48, BigInt(s.addralign ?? 1), le);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), le);
  });
  return out;
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** The header fields of `options`, defaults filled in. @throws ElfError for one out of range */
function checkHeader(options: WriteElfOptions): {
  machine: number;
  flags: number;
  osabi: number;
  abiVersion: number;
} {
  const fields = {
    machine: [options.machine ?? Machine.BPF, 0xffff, 'e_machine'],
    flags: [options.flags ?? 0, 0xffff_ffff, 'e_flags'],
    osabi: [options.osabi ?? 0, 0xff, 'EI_OSABI'],
    abiVersion: [options.abiVersion ?? 0, 0xff, 'EI_ABIVERSION'],
  } as const;
  for (const [value, max, field] of Object.values(fields))
    if (!isUint(value, max))
      throw new ElfError(
        `writing an ELF object: ${field} ${String(value)} is not an integer from 0 to ${max}`,
      );
  return {
    machine: fields.machine[0],
    flags: fields.flags[0],
    osabi: fields.osabi[0],
    abiVersion: fields.abiVersion[0],
  };
}

/** @throws ElfError naming section `index` when a field of `s` cannot be written as given */
function checkSection(s: SectionToWrite, index: number, count: number, isNames: boolean): void {
  const label = `section ${index} (${String(s.name)})`;
  const fail = (why: string) => new ElfError(`writing an ELF object: ${label}: ${why}`);
  if (typeof s.name !== 'string') throw fail('its name is not a string');
  for (const field of ['type', 'link', 'info'] as const)
    if (!isUint(s[field] ?? 0, 0xffff_ffff))
      throw fail(`${field} ${String(s[field])} is not a 32-bit unsigned integer`);
  for (const field of ['flags', 'addr'] as const)
    if (!isU64(s[field] ?? 0n)) throw fail(`${field} ${String(s[field])} is not a 64-bit unsigned bigint`);
  const align = s.addralign ?? 1;
  if (!isUint(align, MAX_ALIGN) || (align & (align - 1)) !== 0)
    throw fail(`addralign ${String(align)} is not 0 or a power of two up to ${MAX_ALIGN}`);
  if (!isUint(s.entsize ?? 0, Number.MAX_SAFE_INTEGER))
    throw fail(`entsize ${String(s.entsize)} is not a non-negative integer`);
  if (s.data !== undefined && !(s.data instanceof Uint8Array)) throw fail('its data is not a Uint8Array');
  const link = s.link ?? 0;
  if (link >= count) throw fail(`link ${link} names no section (there are ${count}, the null one included)`);
  const info = s.info ?? 0;
  const infoIsSection =
    s.type === SectionType.REL || s.type === SectionType.RELA || ((s.flags ?? 0n) & SHF_INFO_LINK) !== 0n;
  if (infoIsSection && info >= count)
    throw fail(`info ${info} names no section (there are ${count}, the null one included)`);
  const length = s.data?.byteLength ?? 0;
  if (s.type === SectionType.NOBITS || s.type === SectionType.NULL) {
    if (length > 0)
      throw fail(`a ${s.type === SectionType.NULL ? 'NULL' : 'NOBITS'} section has no contents`);
  } else if (isNames && length > 0) {
    throw fail('it is the section name table: its contents are the names table, not data');
  } else if (s.size !== undefined && s.size !== length) {
    throw fail(`size ${s.size} differs from its ${length} bytes of data (only NOBITS has a size of its own)`);
  }
  if (s.type === SectionType.NULL && s.size !== undefined && s.size !== 0)
    throw fail('a NULL section has size 0');
  if (!isUint(s.size ?? 0, Number.MAX_SAFE_INTEGER))
    throw fail(`size ${String(s.size)} is not a non-negative integer`);
}
