/**
 * Fuzzing of the byte and text readers: mutated and random instructions go through
 * `disassemble`, `assemble`, `format` and `parse` (seeded, so a failure names a
 * reproducible seed and iteration). Each target runs for a time budget: 2 seconds by
 * default, or `TS_EBPF_FUZZ_SECONDS` seconds each (e.g. `TS_EBPF_FUZZ_SECONDS=600`).
 * Properties: only the package's own errors escape (`DisassemblyError`, `AssemblyError`,
 * `ParseError`, never `RangeError`/`TypeError`); whatever disassembles assembles back to
 * the same bytes; `parse(format(x))` is `x`.
 */
import { seededRandom } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  AssemblyError,
  assemble,
  DisassemblyError,
  disassemble,
  format,
  type Instruction,
  ParseError,
  parse,
} from '../src/index.js';
import { DIRECT_ENCODINGS, llvmCompatibleCorpus, randomCorpus } from './support/corpus.js';

const SECONDS = Number(process.env.TS_EBPF_FUZZ_SECONDS ?? 2);
const OPCODES = [...new Set(llvmCompatibleCorpus().map((i) => i.code))];
const SEED_PROGRAMS = [
  [...llvmCompatibleCorpus(), ...DIRECT_ENCODINGS.map(([i]) => i)],
  randomCorpus(300, 3),
];

/** Calls `round(rand, i)` until the time budget is spent; returns the number of rounds. */
function runFor(seed: number, round: (rand: () => number, i: number) => void): number {
  const rand = seededRandom(seed);
  const end = Date.now() + SECONDS * 1000;
  let i = 0;
  while (Date.now() < end) {
    try {
      round(rand, i);
    } catch (e) {
      throw new Error(`seed ${seed}, iteration ${i}: ${(e as Error).stack ?? String(e)}`, { cause: e });
    }
    i++;
  }
  return i;
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** A window of a seed program's bytes, with a few bytes, fields or slots changed. */
function mutatedBytes(rand: () => number, byteOrder: 'little' | 'big'): Uint8Array {
  const prog = pick(rand, SEED_PROGRAMS);
  const start = Math.floor(rand() * prog.length);
  const window = prog.slice(start, start + 1 + Math.floor(rand() * 24));
  const b = assemble(window, { byteOrder }).slice();
  const edits = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(rand() * b.length);
    const how = rand();
    if (how < 0.35) b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
    else if (how < 0.55) b[at & ~7] = pick(rand, OPCODES);
    else if (how < 0.7) b[(at & ~7) + 1] = Math.floor(rand() * 256);
    else if (how < 0.85) b[at] = pick(rand, [0, 0xff, 0x80, 0x7f, 1]);
    else b[at] = Math.floor(rand() * 256);
  }
  if (rand() < 0.05) return b.subarray(0, Math.floor(rand() * b.length));
  return b;
}

function expectOwnError(e: unknown, ...classes: (new (...a: never[]) => Error)[]): void {
  if (!classes.some((c) => e instanceof c)) throw e;
}

/** Whatever disassembles assembles back to the same bytes and survives format/parse. */
function checkRoundTrips(bytes: Uint8Array, byteOrder: 'little' | 'big', labels: boolean): boolean {
  let insns: Instruction[];
  try {
    insns = disassemble(bytes, { byteOrder, labels });
  } catch (e) {
    expectOwnError(e, DisassemblyError);
    return false;
  }
  expect(assemble(insns, { byteOrder })).toStrictEqual(Uint8Array.from(bytes));
  expect(parse(format(insns))).toStrictEqual(insns);
  return true;
}

describe(`fuzz (${SECONDS} s per target; TS_EBPF_FUZZ_SECONDS runs longer)`, () => {
  it.each([
    ['little', false, 11],
    ['big', false, 12],
    ['little', true, 13],
  ] as const)(
    'mutated %s-endian instructions (labels %s): identity or DisassemblyError',
    (byteOrder, labels, seed) => {
      let decoded = 0;
      const rounds = runFor(seed, (rand) => {
        if (checkRoundTrips(mutatedBytes(rand, byteOrder), byteOrder, labels)) decoded++;
      });
      expect(rounds).toBeGreaterThan(50);
      expect(decoded).toBeGreaterThan(rounds / 20);
    },
  );

  it('random bytes: identity or DisassemblyError', () => {
    runFor(21, (rand) => {
      const b = new Uint8Array(8 * Math.floor(1 + rand() * 6) + (rand() < 0.1 ? 3 : 0));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
      checkRoundTrips(b, rand() < 0.5 ? 'little' : 'big', rand() < 0.3);
    });
  });

  it('mutated assembler text: ParseError or a program that formats and parses to itself', () => {
    const text = format(SEED_PROGRAMS[1]!).split('\n');
    const alphabet = ' rw0123456789+-*/=<>&|^()[]:#;xsulb.,\tgotoifcall*ll';
    let parsed = 0;
    runFor(31, (rand) => {
      const start = Math.floor(rand() * text.length);
      let src = text.slice(start, start + 1 + Math.floor(rand() * 8)).join('\n');
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rand() * (src.length + 1));
        const how = rand();
        const ch = pick(rand, [...alphabet]);
        if (how < 0.4) src = src.slice(0, at) + ch + src.slice(at + 1);
        else if (how < 0.7) src = src.slice(0, at) + ch + src.slice(at);
        else src = src.slice(0, at) + src.slice(at + 1);
      }
      let insns: Instruction[];
      try {
        insns = parse(src);
      } catch (e) {
        expectOwnError(e, ParseError);
        return;
      }
      parsed++;
      expect(parse(format(insns)), JSON.stringify(src)).toStrictEqual(insns);
      try {
        const bytes = assemble(insns, { maps: () => 3 });
        expect(disassemble(bytes).length).toBe(insns.length);
      } catch (e) {
        // text can name labels it lacks or hold operands the encoder refuses
        expectOwnError(e, AssemblyError);
      }
    });
    expect(parsed).toBeGreaterThan(10);
  });
});
