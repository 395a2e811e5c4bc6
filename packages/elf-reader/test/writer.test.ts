import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sameForEveryView, thrownBy } from '@ts-ebpf/test-utils';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ElfError,
  type ElfStringTable,
  ET_REL,
  encodeRelocations,
  encodeSymbols,
  Machine,
  parseElf,
  SectionFlag,
  type SectionToWrite,
  SectionType,
  SymbolBind,
  type SymbolToWrite,
  SymbolType,
  symbolTableSections,
  writeElfObject,
} from '../src/index.js';

/** A string table for the tests: ASCII names appended in order, none shared. */
function names(): ElfStringTable {
  let text = '\0';
  return {
    add(name) {
      if (name === '') return 0;
      const at = text.length;
      text += `${name}\0`;
      return at;
    },
    bytes: () => Uint8Array.from(text, (c) => c.charCodeAt(0)),
  };
}

const ALLOC = BigInt(SectionFlag.ALLOC);
const code = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
const symbols: SymbolToWrite[] = [
  { name: '', bind: 0, type: 0, visibility: 0, section: 0, value: 0n, size: 0n },
  {
    name: '',
    bind: SymbolBind.LOCAL,
    type: SymbolType.SECTION,
    visibility: 0,
    section: 2,
    value: 0n,
    size: 0n,
  },
  {
    name: 'prog',
    bind: SymbolBind.GLOBAL,
    type: SymbolType.FUNC,
    visibility: 0,
    section: 1,
    value: 0n,
    size: 24n,
  },
  {
    name: 'counter',
    bind: SymbolBind.WEAK,
    type: SymbolType.OBJECT,
    visibility: 2,
    section: 3,
    value: 8n,
    size: 8n,
  },
];

/** An object of each kind of section: code, data, NOBITS, REL, RELA, a symbol table, string tables. */
function sample(byteOrder: ByteOrder): { sections: SectionToWrite[]; bytes: Uint8Array } {
  const sections: SectionToWrite[] = [
    { name: 'xdp', type: SectionType.PROGBITS, flags: ALLOC | 4n, addralign: 8, data: code },
    {
      name: '.data',
      type: SectionType.PROGBITS,
      flags: ALLOC | 1n,
      addr: 0x1000n,
      addralign: 16,
      data: Uint8Array.of(9, 8, 7),
    },
    { name: '.bss', type: SectionType.NOBITS, flags: ALLOC | 1n, addralign: 4096, size: 40 },
    {
      name: '.relxdp',
      type: SectionType.REL,
      link: 6,
      info: 1,
      addralign: 8,
      entsize: 16,
      data: encodeRelocations([{ offset: 8n, symbol: 1, type: 1 }], byteOrder),
    },
    {
      name: '.rela.data',
      type: SectionType.RELA,
      link: 6,
      info: 2,
      addralign: 8,
      entsize: 24,
      data: encodeRelocations([{ offset: 0n, symbol: 3, type: 2, addend: -5n }], byteOrder, true),
    },
    ...symbolTableSections(symbols, names(), byteOrder, 6),
    { name: '.shstrtab', type: SectionType.STRTAB },
  ];
  return {
    sections,
    bytes: writeElfObject(sections, { byteOrder, names: names(), namesSection: 8, flags: 0x21 }),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeElfObject', () => {
  for (const order of ['little', 'big'] as const) {
    it(`writes what the reader reads back: header, sections, symbols, relocations (${order}-endian)`, () => {
      const { sections, bytes } = sample(order);
      const elf = parseElf(bytes);
      expect(elf.header).toMatchObject({
        byteOrder: order,
        type: ET_REL,
        machine: Machine.BPF,
        version: 1,
        flags: 0x21,
        phnum: 0,
        shnum: 9,
        shstrndx: 8,
      });
      expect(elf.sections[0]).toMatchObject({ name: '', type: SectionType.NULL, offset: 0, size: 0 });
      sections.forEach((s, i) => {
        const read = elf.sections[i + 1]!;
        expect(read, s.name).toMatchObject({
          index: i + 1,
          name: s.name,
          type: s.type,
          flags: s.flags ?? 0n,
          addr: s.addr ?? 0n,
          link: s.link ?? 0,
          info: s.info ?? 0,
          addralign: s.addralign ?? 1,
          entsize: s.entsize ?? 0,
        });
        if (s.type === SectionType.NOBITS) expect(read.size).toBe(40);
        else if (s.data) expect(elf.data(read)).toEqual(s.data);
      });
      expect(elf.symbols.map(({ index: _, ...s }) => s)).toEqual(symbols);
      expect(elf.relocations(elf.section('.relxdp')!)).toEqual([
        { offset: 8n, symbol: 1, type: 1, addend: 0n },
      ]);
      expect(elf.relocations(elf.section('.rela.data')!)).toEqual([
        { offset: 0n, symbol: 3, type: 2, addend: -5n },
      ]);
    });

    it(`writes an object llvm-readelf-19 reads without a warning, as we do (${order}-endian)`, () => {
      const path = join(dir, `sample.${order}.o`);
      writeFileSync(path, sample(order).bytes);
      const r = spawnSync('llvm-readelf-19', ['-h', '-S', '-s', '-r', path], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(
        order === 'little' ? "2's complement, little endian" : "2's complement, big endian",
      );
      expect(r.stdout).toMatch(/Type:\s+REL \(Relocatable file\)/);
      // Its own reading of addresses, offsets (.data at 96, the first multiple of 16 after the
      // code; .bss at 4096), sizes and alignments.
      expect(r.stdout).toMatch(
        /\.data\s+PROGBITS\s+0+1000\s+000060\s+000003 .* 16\n.*\.bss\s+NOBITS\s+0+\s+001000\s+000028 .* 4096\n/,
      );
      expect(r.stdout).toMatch(/GLOBAL\s+DEFAULT\s+1 prog/);
      expect(r.stdout).toMatch(/WEAK\s+HIDDEN\s+3 counter/);
    });
  }

  it('starts each section at a multiple of its alignment, the section headers at a multiple of 8', () => {
    const sizes = [3, 5, 1, 7, 2];
    const aligns = [0, 1, 16, 4096, 4];
    const sections: SectionToWrite[] = sizes.map((n, i) => ({
      name: `s${i}`,
      type: SectionType.PROGBITS,
      addralign: aligns[i]!,
      data: new Uint8Array(n).fill(i + 1),
    }));
    sections.push({ name: '.shstrtab', type: SectionType.STRTAB });
    const bytes = writeElfObject(sections, { byteOrder: 'little', names: names(), namesSection: 6 });
    const elf = parseElf(bytes);
    let end = 64;
    for (const [i, n] of sizes.entries()) {
      const s = elf.sections[i + 1]!;
      const align = Math.max(1, aligns[i]!);
      // Each at the first multiple of its alignment after the previous one: no more padding than needed.
      expect(s.offset, s.name).toBe(Math.ceil(end / align) * align);
      expect(s.addralign).toBe(aligns[i]);
      expect(elf.data(s)).toEqual(new Uint8Array(n).fill(i + 1));
      end = s.offset + n;
    }
    expect(elf.header.shoff % 8).toBe(0);
    expect(bytes.byteLength).toBe(elf.header.shoff + 7 * 64);
  });

  it('copies the contents: any Uint8Array form, never written into, the same bytes each time', () => {
    const data = Uint8Array.from({ length: 13 }, (_, i) => i * 7);
    const hex = sameForEveryView(data, (bytes) =>
      Buffer.from(
        writeElfObject(
          [
            { name: 'license', type: SectionType.PROGBITS, flags: ALLOC, data: bytes },
            { name: '.shstrtab', type: SectionType.STRTAB },
          ],
          { byteOrder: 'big', names: names(), namesSection: 2, machine: Machine.X86_64 },
        ),
      ).toString('hex'),
    );
    const elf = parseElf(new Uint8Array(Buffer.from(hex, 'hex')));
    expect(elf.data(elf.section('license')!)).toEqual(data);
    expect(elf.header.machine).toBe(Machine.X86_64);
  });

  it('refuses a section it cannot write as given, with an ElfError naming it', () => {
    const ok: SectionToWrite = { name: '.text', type: SectionType.PROGBITS, data: new Uint8Array(8) };
    const shstrtab: SectionToWrite = { name: '.shstrtab', type: SectionType.STRTAB };
    const refused = (bad: Partial<SectionToWrite>, namesSection = 3) =>
      thrownBy(() =>
        writeElfObject([ok, { ...ok, name: 'bad', ...bad }, shstrtab], {
          byteOrder: 'little',
          names: names(),
          namesSection,
        }),
      );
    const cases: [Partial<SectionToWrite>, RegExp][] = [
      [{ addralign: 3 }, /section 2 \(bad\): addralign 3 is not 0 or a power of two up to 65536/],
      [{ addralign: 0x20000 }, /section 2 \(bad\): addralign 131072/],
      [{ link: 4 }, /section 2 \(bad\): link 4 names no section \(there are 4/],
      [{ type: SectionType.REL, info: 9 }, /section 2 \(bad\): info 9 names no section/],
      [{ flags: 0x40n, info: 4 }, /section 2 \(bad\): info 4 names no section/],
      [{ type: SectionType.NOBITS }, /section 2 \(bad\): a NOBITS section has no contents/],
      [{ type: SectionType.NULL }, /section 2 \(bad\): a NULL section has no contents/],
      [{ size: 9 }, /section 2 \(bad\): size 9 differs from its 8 bytes of data/],
      [{ flags: -1n }, /section 2 \(bad\): flags -1 is not a 64-bit unsigned bigint/],
      [{ addr: 1n << 64n }, /section 2 \(bad\): addr 18446744073709551616/],
      [{ type: 1.5 }, /section 2 \(bad\): type 1.5 is not a 32-bit unsigned integer/],
      [{ entsize: -24 }, /section 2 \(bad\): entsize -24/],
      [{ data: [1, 2] as unknown as Uint8Array }, /section 2 \(bad\): its data is not a Uint8Array/],
    ];
    for (const [bad, message] of cases) {
      const e = refused(bad);
      expect(
        e,
        JSON.stringify(bad, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      ).toBeInstanceOf(ElfError);
      expect((e as Error).message).toMatch(message);
    }
    expect((refused({}, 2) as Error).message).toMatch(
      /namesSection 2 is not a string table: section 2 \(bad\) has type 1/,
    );
    expect((refused({}, 4) as Error).message).toMatch(/namesSection 4 is not one of the 3 sections/);
    expect((refused({ type: SectionType.STRTAB, data: new Uint8Array(1) }, 2) as Error).message).toMatch(
      /section 2 \(bad\): it is the section name table/,
    );
    const options = { byteOrder: 'little', names: names(), namesSection: 1 } as const;
    expect(thrownBy(() => writeElfObject([shstrtab], { ...options, machine: 0x10000 }))).toBeInstanceOf(
      ElfError,
    );
    expect(() => writeElfObject([shstrtab], { ...options, byteOrder: 'middle' as ByteOrder })).toThrow(
      /byte order middle/,
    );
    const many = Array.from({ length: 0xff00 }, (): SectionToWrite => shstrtab);
    expect(() => writeElfObject(many, options)).toThrow(/65281 sections need extended numbering/);
  });

  it('refuses symbols and relocations whose fields do not fit, naming them', () => {
    const sym = { ...symbols[2]!, type: 16 };
    expect(thrownBy(() => encodeSymbols([sym], names(), 'little'))).toBeInstanceOf(ElfError);
    expect(() => encodeSymbols([symbols[0]!, sym], names(), 'little')).toThrow(/symbol 1 \(prog\)/);
    expect(() => symbolTableSections([...symbols, symbols[1]!], names(), 'little', 1)).toThrow(
      /symbol 4 \(\) is local but follows symbol 2 \(prog\), which is not/,
    );
    expect(() => encodeRelocations([{ offset: 0n, symbol: -1, type: 1 }], 'little')).toThrow(/relocation 0/);
    expect(() => encodeRelocations([{ offset: 0n, symbol: 1, type: 1, addend: 4n }], 'big')).toThrow(
      /relocation 0: addend 4 needs RELA entries/,
    );
  });
});
