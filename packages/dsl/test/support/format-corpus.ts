/**
 * A seeded corpus for the differential test of `format` (test/format-golden.test.ts): every
 * opcode byte with random and edge-value fields (valid or not), invalid opcode values, every
 * `ld_imm64` source, labels, jump targets and map names (ASCII and not), and the random valid
 * programs of {@link randomCorpus}. The golden text in test/fixtures/format-golden.txt was
 * printed from this corpus by the formatter before its rewrite for speed
 * (test/support/write-format-golden.ts writes it).
 * @module
 */
import * as d from '../../src/index.js';
import { prng, randomCorpus } from './corpus.js';

/** Integers where decimal printing changes length or sign, and the ends of the field ranges. */
const EDGES = [
  0, 1, -1, 9, 10, -9, -10, 99, 100, 999, 1000, 9999, 10000, 32767, -32768, 65535, 100000, 1e6, 1e9,
  2147483647, -2147483648, -2147483647,
];
const LABELS = ['L0', 'a', 'größe', 'ziel_😀', 'x'.repeat(40), '_start', 'ラベル'];

/** The corpus, the same on every call. */
export function formatCorpus(): d.Instruction[] {
  const rnd = prng(21);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int32 = () => (rnd() < 0.5 ? pick(EDGES) : Math.floor(rnd() * 2 ** 32) - 2 ** 31);
  const int16 = () =>
    rnd() < 0.5
      ? pick(EDGES.filter((e) => e >= -32768 && e <= 32767))
      : Math.floor(rnd() * 2 ** 16) - 2 ** 15;
  const regNum = () => (rnd() < 0.9 ? Math.floor(rnd() * 11) : Math.floor(rnd() * 16));
  const out: d.Instruction[] = [];
  for (let code = 0; code < 256; code++) {
    for (let k = 0; k < 8; k++) {
      const fields: d.InstructionFields = { code, dst: regNum(), src: regNum(), off: int16(), imm: int32() };
      if (code === 0x18) fields.imm2 = int32();
      if (k === 7) fields.label = pick(LABELS);
      out.push(d.makeInstruction(fields));
    }
    // Jumps and calls print a label target instead of an offset.
    out.push(
      d.makeInstruction({
        code,
        dst: regNum(),
        src: regNum(),
        off: int16(),
        imm: int32(),
        target: pick(LABELS),
      }),
    );
  }
  // Atomic immediates: every operation with and without fetch, and values that name none.
  for (const code of [0xc3, 0xdb, 0xd3, 0xcb]) {
    for (const imm of [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110, 0x2, -1]) {
      out.push(d.makeInstruction({ code, dst: regNum(), src: regNum(), off: int16(), imm }));
    }
  }
  // ld_imm64: every source, with fds or names.
  for (let src = 0; src < 8; src++) {
    for (let k = 0; k < 6; k++) {
      const map = k % 3 === 0 ? pick(['counts', 'zähler', 'events']) : undefined;
      const target = src === 4 && k % 2 === 0 ? pick(LABELS) : undefined;
      out.push(
        d.makeInstruction({ code: 0x18, dst: regNum(), src, imm: int32(), imm2: int32(), map, target }),
      );
    }
    out.push(d.makeInstruction({ code: 0x18, dst: 1, src, imm: 0, imm2: src === 5 ? undefined : 0 }));
  }
  // Opcode values that are not a byte.
  for (const code of [-1, 256, 1.5, 0x1000])
    out.push(d.makeInstruction({ code, dst: 1, src: 2, off: 3, imm: 4 }));
  return [...out, ...randomCorpus(3000, 21)];
}
