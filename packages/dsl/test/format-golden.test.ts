// Differential test of the formatter: the text of a corpus of every opcode byte with random and
// edge-value fields (see test/support/format-corpus.ts) must stay what the formatter printed
// before it was rewritten for speed (test/fixtures/format-golden.txt, printed by that formatter).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { format, formatInstruction, type Instruction } from '../src/index.js';
import { formatCorpus } from './support/format-corpus.js';

const golden = readFileSync(new URL('./fixtures/format-golden.txt', import.meta.url), 'utf8');
const corpus = formatCorpus();

/** The first line where `text` and the golden text differ, with its neighbours, for the failure message. */
function firstDifference(text: string): string | undefined {
  const got = text.split('\n');
  const want = golden.split('\n');
  const at = got.findIndex((line, k) => line !== want[k]);
  if (at < 0 && got.length === want.length) return undefined;
  const k = at < 0 ? Math.min(got.length, want.length) : at;
  return `line ${k + 1}: got ${JSON.stringify(got[k])}, want ${JSON.stringify(want[k])}`;
}

function labelled(insn: Instruction): string {
  return `${insn.label === undefined ? '' : `${insn.label}:\n`}${formatInstruction(insn)}\n`;
}

describe('format against the golden text', () => {
  it('covers every opcode byte and thousands of instructions', () => {
    expect(new Set(corpus.map((i) => i.code)).size).toBeGreaterThanOrEqual(256);
    expect(corpus.length).toBeGreaterThan(5000);
  });

  it('format prints the corpus exactly as the golden text', () => {
    expect(firstDifference(format(corpus))).toBeUndefined();
  });

  it('formatInstruction prints every instruction as its golden line', () => {
    expect(firstDifference(corpus.map(labelled).join(''))).toBeUndefined();
  });

  it('format of a program repeated many times is the golden text repeated', () => {
    const times = 40; // over 200,000 instructions: the output buffer grows many times
    const program = Array.from({ length: times }, () => corpus).flat();
    expect(format(program)).toBe(golden.repeat(times));
  });
});
