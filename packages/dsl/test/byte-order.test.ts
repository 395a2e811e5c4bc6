import { describe, expect, it } from 'vitest';
import {
  assemble,
  disassemble,
  format,
  formatInstruction,
  ldMapFd,
  mov,
  parse,
  programTag,
  R1,
} from '../src/index.js';
import { DIRECT_ENCODINGS, llvmCompatibleCorpus, randomCorpus } from './support/corpus.js';
import { hex, llvmEncodings } from './support/tools.js';

const all = [...llvmCompatibleCorpus(), ...DIRECT_ENCODINGS.map(([insn]) => insn)];

describe.each([
  ['bpfel', 'little'],
  ['bpfeb', 'big'],
] as const)('llvm-mc-19 -triple %s agrees with byteOrder %s', (triple, byteOrder) => {
  const corpus = [...llvmCompatibleCorpus(), ...randomCorpus(2000, 7)];
  const text = corpus.map((insn) => `${formatInstruction(insn)}\n`).join('');
  const { encodings, stderr } = llvmEncodings(text, triple);

  it('llvm-mc encodes every instruction', () => {
    expect(stderr).toBe('');
    expect(encodings).toHaveLength(corpus.length);
  });

  it('assemble gives llvm-mc bytes, and disassemble reads them back', () => {
    expect(hex(assemble(corpus, { byteOrder }))).toBe(encodings.join(''));
    const llvmBytes = Uint8Array.from(Buffer.from(encodings.join(''), 'hex'));
    expect(disassemble(llvmBytes, { byteOrder })).toStrictEqual(corpus);
  });
});

describe('the whole ISA in both byte orders', () => {
  it.each(['little', 'big'] as const)(
    'disassemble(assemble(x, %s)) is x, and bytes survive format and parse',
    (byteOrder) => {
      const bytes = assemble(all, { byteOrder });
      const back = disassemble(bytes, { byteOrder });
      expect(back).toStrictEqual(all);
      expect(assemble(back, { byteOrder })).toStrictEqual(bytes);
      expect(parse(format(back))).toStrictEqual(all);
      expect(assemble(parse(format(back)), { byteOrder })).toStrictEqual(bytes);
    },
  );

  it('the orders differ exactly by the register nibbles and the multi-byte fields', () => {
    const le = assemble(all, { byteOrder: 'little' });
    const be = assemble(all, { byteOrder: 'big' });
    for (let p = 0; p < le.length; p += 8) {
      expect(be[p]).toBe(le[p]);
      expect(be[p + 1]).toBe(((le[p + 1]! & 0x0f) << 4) | (le[p + 1]! >> 4));
      expect([be[p + 2], be[p + 3]]).toEqual([le[p + 3], le[p + 2]]);
      expect(Array.from(be.subarray(p + 4, p + 8))).toEqual(Array.from(le.subarray(p + 4, p + 8)).reverse());
    }
  });

  it('reading bytes in the wrong order is not silently the same program', () => {
    const be = assemble([mov(R1, 0x01020304)], { byteOrder: 'big' });
    expect(disassemble(be, { byteOrder: 'little', allowInvalid: true })).not.toStrictEqual([
      mov(R1, 0x01020304),
    ]);
  });

  it('programTag hashes in the given order: the same tag for instructions and their bytes', () => {
    const prog = [ldMapFd(R1, 'm'), mov(R1, 7)];
    for (const byteOrder of ['little', 'big'] as const) {
      const bytes = assemble(prog, { byteOrder, maps: { m: 42 } });
      expect(programTag(bytes, { byteOrder })).toBe(programTag(prog, { byteOrder }));
    }
    expect(programTag(prog, { byteOrder: 'big' })).not.toBe(programTag(prog, { byteOrder: 'little' }));
  });
});
