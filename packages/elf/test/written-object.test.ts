import { StringTable } from '@ts-ebpf/btf';
import { assemble, parse } from '@ts-ebpf/dsl';
import {
  encodeRelocations,
  SectionFlag,
  SectionType,
  SymbolBind,
  SymbolType,
  symbolTableSections,
  writeElfObject,
} from '@ts-ebpf/elf-reader';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { BpfReloc, linkObjects, loadCollection } from '../src/index.js';

const ALLOC = BigInt(SectionFlag.ALLOC);
const byteOrder = HOST_BYTE_ORDER;

/**
 * An XDP program written without clang: `pass` returns the u32 at offset 4 of `.data` (through
 * an ld_imm64 relocated against the section's symbol), which holds `verdict`.
 */
function object(verdict: number): Uint8Array {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setUint32(4, verdict, byteOrder === 'little');
  const code = assemble(parse('r1 = 0 ll\nr0 = *(u32 *)(r1 + 4)\nexit'), { byteOrder });
  const local = { bind: SymbolBind.LOCAL, visibility: 0, value: 0n, size: 0n };
  const symbols = [
    { ...local, name: '', type: SymbolType.NOTYPE, section: 0 },
    { ...local, name: '', type: SymbolType.SECTION, section: 3 },
    {
      ...local,
      name: 'pass',
      bind: SymbolBind.GLOBAL,
      type: SymbolType.FUNC,
      section: 1,
      size: BigInt(code.length),
    },
  ];
  return writeElfObject(
    [
      {
        name: 'xdp',
        type: SectionType.PROGBITS,
        flags: ALLOC | BigInt(SectionFlag.EXECINSTR),
        addralign: 8,
        data: code,
      },
      {
        name: '.relxdp',
        type: SectionType.REL,
        link: 5,
        info: 1,
        addralign: 8,
        entsize: 16,
        data: encodeRelocations([{ offset: 0n, symbol: 1, type: BpfReloc.R_BPF_64_64 }], byteOrder),
      },
      {
        name: '.data',
        type: SectionType.PROGBITS,
        flags: ALLOC | BigInt(SectionFlag.WRITE),
        addralign: 4,
        data,
      },
      { name: 'license', type: SectionType.PROGBITS, flags: ALLOC, data: new TextEncoder().encode('GPL\0') },
      ...symbolTableSections(symbols, new StringTable(), byteOrder, 5),
      { name: '.shstrtab', type: SectionType.STRTAB },
    ],
    { byteOrder, names: new StringTable(), namesSection: 7 },
  );
}

describeKernel('an object written from scratch by writeElfObject', () => {
  it('loads with loadCollection and runs, reading its .data through the relocation written', () => {
    const before = openFds();
    for (const verdict of [2, 1]) {
      using c = loadCollection(object(verdict));
      expect(c.program('pass').testRun({ data: new Uint8Array(64) }).retval).toBe(verdict);
      // linkObjects reads it as it reads clang's objects.
      using linked = loadCollection(linkObjects([object(verdict)]));
      expect(linked.program('pass').testRun({ data: new Uint8Array(64) }).retval).toBe(verdict);
    }
    expect(leakedFds(before)).toEqual([]);
  });
});
