import { readFileSync } from 'node:fs';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { EbpfError } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  ElfError,
  Machine,
  machineName,
  parseElf,
  parseElfHeader,
  SectionType,
  SegmentType,
  SHN_XINDEX,
} from '../src/index.js';

/**
 * A small ELF64 executable laid out by hand in either byte order: one PT_LOAD segment and
 * sections null, .strtab (section and symbol names), .symtab with one function.
 * Layout: header 0..64, program header 64..120, strings 120..152, symbols 152..200,
 * section headers 200..392. `symbol` names the function (UTF-8, up to 14 bytes); `stringsEnd`
 * bytes are cut off the end of the string table.
 */
function tinyElf(order: ByteOrder, symbol = 'main', stringsEnd = 0): Uint8Array {
  const le = order === 'little';
  const b = new Uint8Array(392);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1]);
  v.setUint16(16, 2, le); // ET_EXEC
  v.setUint16(18, Machine.X86_64, le);
  v.setUint32(20, 1, le);
  v.setBigUint64(32, 64n, le); // e_phoff
  v.setBigUint64(40, 200n, le); // e_shoff
  v.setUint16(52, 64, le);
  v.setUint16(54, 56, le);
  v.setUint16(56, 1, le);
  v.setUint16(58, 64, le);
  v.setUint16(60, 3, le);
  v.setUint16(62, 1, le); // e_shstrndx
  // PT_LOAD: file offset 0x1000 maps at 0x401000, 0x2000 bytes
  v.setUint32(64, SegmentType.LOAD, le);
  v.setBigUint64(72, 0x1000n, le);
  v.setBigUint64(80, 0x401000n, le);
  v.setBigUint64(96, 0x2000n, le);
  v.setBigUint64(104, 0x2000n, le);
  const names = new TextEncoder().encode(`\0.strtab\0.symtab\0${symbol}\0`);
  b.set(names, 120);
  // symbol 1: main, global func, section 0xfff1 (abs), value 0x401234, size 16
  v.setUint32(152 + 24, 17, le);
  b[152 + 24 + 4] = (1 << 4) | 2;
  v.setUint16(152 + 24 + 6, 0xfff1, le);
  v.setBigUint64(152 + 24 + 8, 0x401234n, le);
  v.setBigUint64(152 + 24 + 16, 16n, le);
  const section = (
    i: number,
    name: number,
    type: number,
    offset: number,
    size: number,
    link = 0,
    entsize = 0,
  ) => {
    const o = 200 + i * 64;
    v.setUint32(o, name, le);
    v.setUint32(o + 4, type, le);
    v.setBigUint64(o + 24, BigInt(offset), le);
    v.setBigUint64(o + 32, BigInt(size), le);
    v.setUint32(o + 40, link, le);
    v.setBigUint64(o + 56, BigInt(entsize), le);
  };
  section(1, 1, SectionType.STRTAB, 120, names.byteLength - stringsEnd);
  section(2, 9, SectionType.SYMTAB, 152, 48, 1, 24);
  return b;
}

/** A copy of `b` with byte `at` set to `value`. */
function withByte(b: Uint8Array, at: number, value: number): Uint8Array {
  const out = new Uint8Array(b);
  out[at] = value;
  return out;
}

describe('ELF reader', () => {
  for (const order of ['little', 'big'] as const) {
    it(`reads header, sections, symbols and segments of a ${order}-endian file`, () => {
      const elf = parseElf(tinyElf(order));
      expect(elf.header).toMatchObject({ byteOrder: order, machine: Machine.X86_64, type: 2, phnum: 1 });
      expect(machineName(elf.header.machine)).toBe('X86-64');
      expect(elf.sections.map((s) => s.name)).toEqual(['', '.strtab', '.symtab']);
      expect(elf.symbols[1]).toMatchObject({ name: 'main', bind: 1, type: 2, value: 0x401234n, size: 16n });
      expect(elf.symbolTable(elf.section('.symtab')!)).toEqual(elf.symbols);
      expect(elf.segments).toEqual([
        {
          type: SegmentType.LOAD,
          flags: 0,
          offset: 0x1000n,
          vaddr: 0x401000n,
          filesz: 0x2000n,
          memsz: 0x2000n,
        },
      ]);
      expect(elf.addressToOffset(0x401234n)).toBe(0x1234n);
      // No segment has file bytes for these: below the segment, just past its end.
      for (const address of [0x10n, 0x403000n])
        expect(() => elf.addressToOffset(address)).toThrow(
          new RegExp(`address 0x${address.toString(16)} is in no loadable segment's file bytes`),
        );
    });
  }

  it('reads this Node binary (a real executable with .dynsym) through a Buffer view', () => {
    const elf = parseElf(readFileSync(process.execPath));
    expect(elf.header.byteOrder).toBe('little');
    expect(elf.segments.some((s) => s.type === SegmentType.LOAD)).toBe(true);
    const dynsym = elf.sections.find((s) => s.type === SectionType.DYNSYM)!;
    expect(elf.symbolTable(dynsym).length).toBeGreaterThan(100);
    const relocationSections = elf.sections.filter(
      (s) => s.type === SectionType.RELA || s.type === SectionType.REL,
    );
    expect(relocationSections.length).toBeGreaterThan(0);
    for (const s of relocationSections) expect(elf.relocations(s).length).toBe(s.size / s.entsize);
  });

  it('accepts a subarray at an odd offset and never writes into it', () => {
    const file = tinyElf('big');
    const big = new Uint8Array(file.byteLength + 7).fill(0xee);
    big.set(file, 5);
    const before = big.slice();
    const elf = parseElf(big.subarray(5, 5 + file.byteLength));
    expect(elf.symbols[1]!.name).toBe('main');
    expect(big).toEqual(before);
  });

  it('reads names of ASCII and of UTF-8 string tables alike, and refuses an unterminated one', () => {
    // An ASCII table is read whole once, another string by string: both give the same names,
    // and the same error for a name that runs past the table's end.
    for (const symbol of ['main', 'mäin_ø']) {
      const elf = parseElf(tinyElf('little', symbol));
      expect(elf.sections.map((s) => s.name)).toEqual(['', '.strtab', '.symtab']);
      expect(elf.symbols[1]!.name).toBe(symbol);
      let error: unknown;
      try {
        void parseElf(tinyElf('little', symbol, 1)).symbols;
      } catch (e) {
        error = e;
      }
      expect(error, symbol).toBeInstanceOf(ElfError);
      expect((error as ElfError).message, symbol).toMatch(/unterminated string/);
      expect((error as ElfError).offset, symbol).toBe(120 + 17);
    }
  });

  it('refuses corrupt files with an ElfError carrying the offset', () => {
    const cases: [string, (b: Uint8Array, v: DataView) => Uint8Array | undefined, RegExp, number][] = [
      ['short', (b) => b.subarray(0, 30), /truncated: ELF header/, 0],
      ['bad magic', (b) => withByte(b, 1, 0), /bad magic/, 0],
      ['ELF32', (b) => withByte(b, 4, 1), /ELF64/, 4],
      ['byte order', (b) => withByte(b, 5, 3), /EI_DATA 3/, 5],
      ['section size', (_b, v) => void v.setUint16(58, 40, true), /section header size 40/, 58],
      [
        'section past the end',
        (_b, v) => void v.setBigUint64(200 + 64 + 32, 9999n, true),
        /section 1 contents/,
        120,
      ],
      ['name table', (_b, v) => void v.setUint16(62, 2, true), /not a string table/, 62],
      ['program headers past the end', (_b, v) => void v.setUint16(56, 50, true), /program headers/, 64],
    ];
    for (const [what, mutate, message, offset] of cases) {
      const b = tinyElf('little');
      const mutated = mutate(b, new DataView(b.buffer)) ?? b;
      let error: unknown;
      try {
        void parseElf(mutated).segments;
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(ElfError);
      expect(error, what).toBeInstanceOf(EbpfError);
      expect((error as ElfError).message, what).toMatch(message);
      expect((error as ElfError).offset, what).toBe(offset);
    }
    expect(() => parseElfHeader(new Uint8Array(10))).toThrow(ElfError);
  });

  /** The ElfError `f` throws (failing the test when it throws nothing or something else). */
  function elfError(f: () => unknown): ElfError {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ElfError);
      return e as ElfError;
    }
    throw new Error('no error');
  }

  /** Section header `i`'s field at `at` of the little-endian tiny file. */
  const SH = (i: number, at: number) => 200 + i * 64 + at;

  it('errors name the section (by index and name) and the field at fault', () => {
    const cases: [string, (v: DataView) => void, RegExp, number][] = [
      [
        'sh_offset',
        (v) => v.setBigUint64(SH(2, 24), 1n << 60n, true),
        /^section 2 sh_offset is out of range/,
        SH(2, 24),
      ],
      [
        'sh_size',
        (v) => v.setBigUint64(SH(2, 32), 1n << 60n, true),
        /^section 2 sh_size is out of range/,
        SH(2, 32),
      ],
      [
        'contents',
        (v) => v.setBigUint64(SH(2, 32), 4800n, true),
        /^truncated: section 2 \(\.symtab\) contents \(sh_offset, sh_size\) needs 4800 bytes, past the end of the 392-byte file/,
        152,
      ],
      [
        'sh_name',
        (v) => v.setUint32(SH(2, 0), 999, true),
        /^section 2 sh_name: string offset 999 is outside section 1 \(\.strtab\) \(22 bytes\)/,
        120,
      ],
      [
        'st_name',
        (v) => v.setUint32(152 + 24, 500, true),
        /^symbol 1 of section 2 \(\.symtab\) st_name: string offset 500 is outside section 1/,
        120,
      ],
      [
        'sh_link',
        (v) => v.setUint32(SH(2, 40), 7, true),
        /^section 2 \(\.symtab\): sh_link 7 is not a string table/,
        152,
      ],
      ['e_shstrndx', (v) => v.setUint16(62, 9, true), /section name table index 9 \(e_shstrndx\)/, 62],
      [
        'e_shoff',
        (v) => v.setBigUint64(40, 390n, true),
        /^truncated: section header 0 \(e_shoff\) needs 64 bytes/,
        390,
      ],
      [
        'e_shnum',
        (v) => v.setUint16(60, 4, true),
        /^truncated: 4 section headers \(e_shoff, e_shnum\) needs 256 bytes/,
        200,
      ],
      [
        'e_phnum',
        (v) => v.setUint16(56, 9, true),
        /^truncated: 9 program headers \(e_phoff, e_phnum\) needs 504 bytes/,
        64,
      ],
    ];
    for (const [what, mutate, message, offset] of cases) {
      const b = tinyElf('little');
      mutate(new DataView(b.buffer));
      const e = elfError(() => {
        const elf = parseElf(b);
        void elf.symbols;
        void elf.segments;
      });
      expect(e.message, what).toMatch(message);
      expect(e.offset, what).toBe(offset);
    }
  });

  it('refuses a table whose size is not whole entries, or whose entry size is wrong, instead of reading part of it', () => {
    const b = tinyElf('little');
    new DataView(b.buffer).setBigUint64(SH(2, 32), 40n, true); // 1⅔ symbols
    expect(elfError(() => parseElf(b).symbols).message).toMatch(
      /section 2 \(\.symtab\): sh_size 40 is not a whole number of 24-byte symbols/,
    );
    // The symbol table's 48 bytes as REL entries: entsize 24 is no REL's 16.
    const rel = tinyElf('little');
    new DataView(rel.buffer).setUint32(SH(2, 4), SectionType.REL, true);
    const elf = parseElf(rel);
    expect(elfError(() => elf.relocations(elf.sections[2]!)).message).toMatch(
      /section 2 \(\.symtab\): relocation size \(sh_entsize\) 24, expected 16/,
    );
    const rela = tinyElf('little');
    const v = new DataView(rela.buffer);
    v.setUint32(SH(2, 4), SectionType.RELA, true);
    v.setBigUint64(SH(2, 32), 40n, true);
    const elfA = parseElf(rela);
    expect(elfError(() => elfA.relocations(elfA.sections[2]!)).message).toMatch(
      /sh_size 40 is not a whole number of 24-byte relocations/,
    );
    expect(elfError(() => elfA.relocations(elfA.sections[1]!)).message).toMatch(
      /section 1 \(\.strtab\) holds no relocations/,
    );
  });

  it('reads the section count and name table index from section 0 (e_shnum 0, e_shstrndx SHN_XINDEX)', () => {
    const b = tinyElf('big');
    const v = new DataView(b.buffer);
    v.setUint16(60, 0, false);
    v.setUint16(62, SHN_XINDEX, false);
    v.setBigUint64(SH(0, 32), 3n, false); // sh_size of section 0: the count
    v.setUint32(SH(0, 40), 1, false); // sh_link of section 0: the name table
    const elf = parseElf(b);
    expect(elf.sections.map((s) => s.name)).toEqual(['', '.strtab', '.symtab']);
    expect(elf.symbols[1]!.name).toBe('main');
    v.setUint32(SH(0, 40), 5, false);
    expect(elfError(() => parseElf(b)).message).toMatch(/section name table index 5/);
  });

  it('takes a NOBITS section at any offset: it has no contents in the file', () => {
    const b = tinyElf('little');
    const v = new DataView(b.buffer);
    v.setUint32(SH(2, 4), SectionType.NOBITS, true);
    v.setBigUint64(SH(2, 24), 1_000_000n, true);
    v.setBigUint64(SH(2, 32), 1_000_000n, true);
    const elf = parseElf(b);
    expect(elf.data(elf.sections[2]!)).toEqual(new Uint8Array(0));
    expect(elf.symbols).toEqual([]);
  });

  it('any byte of the headers and tables changed gives a file or an ElfError, never another error', () => {
    // Each byte of the tiny file set to each of a few values that break lengths, offsets and
    // indexes; every table is then read.
    for (const order of ['little', 'big'] as const) {
      const file = tinyElf(order);
      for (let at = 0; at < file.byteLength; at++) {
        for (const value of [0, 1, 0x7f, 0x80, 0xff]) {
          const b = withByte(file, at, value);
          try {
            const elf = parseElf(b);
            void elf.segments;
            for (const s of elf.sections) {
              elf.data(s);
              if (s.type === SectionType.SYMTAB || s.type === SectionType.DYNSYM) elf.symbolTable(s);
              if (s.type === SectionType.REL || s.type === SectionType.RELA) elf.relocations(s);
            }
            void elf.symbols;
          } catch (e) {
            if (!(e instanceof ElfError)) throw new Error(`byte ${at} = ${value} (${order}): ${e}`);
          }
        }
      }
    }
  });

  /**
   * The tiny file with symbol 1's st_shndx SHN_XINDEX and a fourth section, SHT_SYMTAB_SHNDX
   * linked to the symbol table (`link`), holding `entries` (one word per symbol).
   */
  function withExtendedIndexes(order: ByteOrder, entries: number[], link = 2): Uint8Array {
    const le = order === 'little';
    const b = new Uint8Array(456 + entries.length * 4);
    b.set(tinyElf(order));
    const v = new DataView(b.buffer);
    v.setUint16(60, 4, le); // e_shnum
    v.setUint16(152 + 24 + 6, SHN_XINDEX, le);
    v.setUint32(392 + 4, SectionType.SYMTAB_SHNDX, le);
    v.setBigUint64(392 + 24, 456n, le);
    v.setBigUint64(392 + 32, BigInt(entries.length * 4), le);
    v.setUint32(392 + 40, link, le);
    v.setBigUint64(392 + 56, 4n, le);
    entries.forEach((e, i) => void v.setUint32(456 + i * 4, e, le));
    return b;
  }

  it('a symbol whose st_shndx is SHN_XINDEX has its section from the SHT_SYMTAB_SHNDX table', () => {
    for (const order of ['little', 'big'] as const) {
      const elf = parseElf(withExtendedIndexes(order, [0, 0x12345]));
      expect(elf.symbols[1]).toMatchObject({ name: 'main', section: 0x12345 });
    }
    expect(elfError(() => parseElf(withExtendedIndexes('little', [0, 2], 0)).symbols).message).toMatch(
      /^symbol 1 of section 2 \(\.symtab\): st_shndx is SHN_XINDEX but no SHT_SYMTAB_SHNDX section links to it/,
    );
    expect(elfError(() => parseElf(withExtendedIndexes('little', [0])).symbols).message).toMatch(
      /^section 3: sh_size 4, expected 4 bytes for each of the 2 symbols of section 2 \(\.symtab\)/,
    );
  });

  it('a file without loadable segments (a relocatable object) takes addresses as offsets', () => {
    const b = tinyElf('little');
    new DataView(b.buffer).setUint16(56, 0, true); // e_phnum
    expect(parseElf(b).addressToOffset(0x10n)).toBe(0x10n);
  });
});
