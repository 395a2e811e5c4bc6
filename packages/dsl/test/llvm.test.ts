import { describe, expect, it } from 'vitest';
import { assemble, formatInstruction, parse } from '../src/index.js';
import { DIRECT_ENCODINGS, llvmCompatibleCorpus, randomCorpus } from './support/corpus.js';
import { hex, llvmEncodings } from './support/tools.js';

describe('encoding agrees with llvm-mc-19 (-mcpu=v4)', () => {
  const corpus = llvmCompatibleCorpus();
  const lines = corpus.map(formatInstruction);
  const { encodings, stderr } = llvmEncodings(`${lines.join('\n')}\n`);

  it('llvm-mc accepts every formatted instruction', () => {
    expect(stderr).toBe('');
    expect(encodings).toHaveLength(corpus.length);
    expect(corpus.length).toBeGreaterThan(400);
  });

  it('assemble(parse(text)) and assemble(builder) give llvm-mc bytes for every instruction', () => {
    const mismatches: string[] = [];
    corpus.forEach((insn, i) => {
      const fromText = hex(assemble(parse(lines[i]!)));
      const fromBuilder = hex(assemble([insn]));
      if (fromText !== encodings[i] || fromBuilder !== encodings[i]) {
        mismatches.push(`${lines[i]}: llvm ${encodings[i]} text ${fromText} builder ${fromBuilder}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('assembles the whole batch as one program, byte for byte', () => {
    expect(hex(assemble(parse(lines.join('\n'))))).toBe(encodings.join(''));
  });
});

describe('5,000 random instructions (seeded) agree with llvm-mc-19', () => {
  const corpus = randomCorpus(5000, 42);
  const text = corpus.map((insn) => `${formatInstruction(insn)}\n`).join('');
  const { encodings, stderr } = llvmEncodings(text);

  it('llvm-mc accepts them all', () => {
    expect(stderr).toBe('');
    expect(encodings).toHaveLength(corpus.length);
  });

  it('same bytes from the builders, from parse(format(x)), and from llvm-mc', () => {
    expect(hex(assemble(corpus))).toBe(encodings.join(''));
    expect(hex(assemble(parse(text)))).toBe(encodings.join(''));
    expect(parse(text)).toStrictEqual(corpus);
  });
});

describe('forms llvm-mc spells differently: direct encoding checks', () => {
  it.each(DIRECT_ENCODINGS.map(([insn, bytes]) => [formatInstruction(insn), insn, bytes] as const))(
    '%s',
    (text, insn, bytes) => {
      expect(hex(assemble([insn]))).toBe(bytes);
      expect(parse(text)).toEqual([insn]);
    },
  );
});
