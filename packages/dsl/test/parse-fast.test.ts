// The parser's fast path (src/parse-fast.ts) must read every statement it accepts exactly as the
// general pattern table does, and must accept the common forms `format` prints (or it is useless).
// The pattern table is called directly: the general path of parse itself tries the fast path first.
import { seededRandom } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import type { Instruction } from '../src/instruction.js';
import { parseStatement } from '../src/parse.js';
import { parseCommonStatement } from '../src/parse-fast.js';
import { normalize } from '../src/parse-operands.js';

const { R0, R1, R2, R3, R10 } = d;

function fast(text: string): Instruction | undefined {
  return parseCommonStatement(text, 0, text.length);
}

/** The pattern table's reading of one statement, spacing normalized as the general path does. */
function general(text: string): Instruction | Error {
  try {
    return d.makeInstruction(parseStatement(normalize(text)));
  } catch (e) {
    return e as Error;
  }
}

/** What parse reads from `text` after a label and before a comment (the general path), label left off. */
function afterLabel(text: string): Instruction | Error {
  try {
    const [insn, ...rest] = d.parse(`forced_general: ${text} // a comment`);
    if (!insn || rest.length > 0) return new Error(`${text} is not one statement`);
    const { label: _label, ...fields } = insn;
    return d.makeInstruction(fields);
  } catch (e) {
    return e as Error;
  }
}

function randomInstruction(rnd: () => number): Instruction {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const regs = d.REGISTERS;
  const imm = () => pick([0, 1, -1, 60, -8, 0x7fffffff, -0x80000000, Math.floor(rnd() * 1e6) - 5e5]);
  const off = () => pick([0, 4, -8, 32767, -32768, Math.floor(rnd() * 200) - 100]);
  const size = () => pick(['b', 'h', 'w', 'dw'] as const);
  const aluOps = [
    'add',
    'sub',
    'mul',
    'div',
    'or',
    'and',
    'lsh',
    'rsh',
    'mod',
    'xor',
    'arsh',
    'sdiv',
    'smod',
  ] as const;
  const jumps = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jset', 'jsgt', 'jsge', 'jslt', 'jsle'] as const;
  const b = d as unknown as Record<string, (...args: unknown[]) => Instruction>;
  switch (Math.floor(rnd() * 14)) {
    case 12:
      return d.atomic(
        pick(['add', 'or', 'and', 'xor'] as const),
        pick(['w', 'dw'] as const),
        pick(regs),
        pick(regs),
        off(),
      );
    case 13:
      return pick([d.le, d.be, d.bswap])(pick(regs), pick([16, 32, 64] as const));
    case 0:
      return d.mov(pick(regs), rnd() < 0.5 ? pick(regs) : imm());
    case 1:
      return d.mov32(pick(regs), rnd() < 0.5 ? pick(regs) : imm());
    case 2:
      return b[pick(aluOps)]!(pick(regs), rnd() < 0.5 ? pick(regs) : imm());
    case 3:
      return b[`${pick(aluOps)}32`]!(pick(regs), rnd() < 0.5 ? pick(regs) : imm());
    case 4:
      return d.ldx(size(), pick(regs), pick(regs), off());
    case 5:
      return d.ldxs(pick(['b', 'h', 'w'] as const), pick(regs), pick(regs), off());
    case 6:
      return d.stx(size(), pick(regs), pick(regs), off());
    case 7:
      return d.st(size(), pick(regs), off(), imm());
    case 8:
      return b[pick(jumps)]!(pick(regs), rnd() < 0.5 ? pick(regs) : imm(), off());
    case 9:
      return b[`${pick(jumps)}32`]!(pick(regs), rnd() < 0.5 ? pick(regs) : imm(), off());
    case 10:
      return d.ldImm64(pick(regs), BigInt(Math.floor(rnd() * 2 ** 52)) * pick([1n, -1n, 4096n]));
    default:
      return pick([d.exit(), d.call(Math.floor(rnd() * 200)), d.ja(off())]);
  }
}

/** Spacing variants the general path reads the same (and some it refuses). */
function respaced(text: string, rnd: () => number): string[] {
  return [
    text,
    `  ${text}\t `,
    text.replace(/ /g, '  '),
    text.replace(/ /g, '\t'),
    text.replace(/ ?([-+*/%|&^<>=!(),[\]]+) ?/g, '$1'),
    text.replace(/ /g, () => (rnd() < 0.5 ? '' : ' ')),
    `${text}\r`,
  ];
}

/** `count` random instructions as `format` prints them, each in every spacing of {@link respaced}. */
function* spellings(seed: number, count: number): Generator<string> {
  const rnd = seededRandom(seed);
  for (let k = 0; k < count; k++) yield* respaced(d.formatInstruction(randomInstruction(rnd)), rnd);
}

describe('the fast path of parse', () => {
  it('accepts what format prints for the common forms, reading it as the general path does', () => {
    const rnd = seededRandom(7);
    let accepted = 0;
    for (let k = 0; k < 3000; k++) {
      const insn = randomInstruction(rnd);
      const text = d.formatInstruction(insn);
      const quick = fast(text);
      expect(quick, text).toBeDefined();
      expect(quick).toEqual(general(text));
      expect(quick).toEqual(insn);
      accepted++;
    }
    expect(accepted).toBe(3000);
  });

  it('never disagrees with the general path, whatever the spacing', () => {
    let refused = 0;
    for (const text of spellings(11, 2000)) {
      const quick = fast(text);
      if (quick === undefined) {
        refused++;
        continue;
      }
      expect(quick, JSON.stringify(text)).toEqual(general(text));
    }
    // Some spellings go to the general path (e.g. words run together); most do not.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(2000 * 7);
  });

  it.each([
    ['r11 = 1'],
    ['w1 = r2'],
    ['r1 = w2'],
    ['r1 = 0x1234567890abcdef'],
    ['r1 = 99999999999999999999'],
    ['w1 = 5 ll'],
    ['r1 = 5ll'],
    ['goto pcfoo'],
    ['goto 5'],
    ['goto+1'],
    ['if r1 > r2goto +1'],
    ['if r1s> r2 goto +1'],
    ['if w1 > r2 goto +1'],
    ['if r1 !== 2 goto +1'],
    ['*(s32 *)(r1 + 0) = r2'],
    ['*(u32 *)(r11 + 0) = r2'],
    ['*(u32 *)(r1 4) = r2'],
    ['*(u32 *)(r1 + -4) = r2'],
    ['r0 = *(u32 *)skb[4]'],
    ['call pc+1'],
    ['call bpf_map_lookup_elem'],
    ['exit // done'],
    ['r0 = 1; exit'],
    ['r1 == 2'],
    ['r0 = -r0'],
    ['r0 = 0x ll'],
    ['r0 = 0x10000000000000000 ll'],
    ['lock *(u64 *)(r1 + 0) -= r2'],
    ['lock *(s32 *)(r1 + 0) += r2'],
    ['lock *(u64 *)(r1 + 0) += 5'],
    ['lockx *(u64 *)(r1 + 0) += r2'],
    ['r1 = be16 r2'],
    ['w1 = be16 w1'],
    ['r1 = be8 r1'],
    ['r1 = be16r1'],
    ['r1 = be016 r1'],
    ['r1 = le64x r1'],
    ['r1 = bswap8 r1'],
    ['r1 = bswap r1'],
    ['r0 = *(u08 *)(r1 + 0)'],
    ['r0 = *(u128 *)(r1 + 0)'],
    ['r0 = *(s64 *)(r1 + 0)'],
    ['r0 = *(u16x *)(r1 + 0)'],
    ['r0 = *(u *)(r1 + 0)'],
    ['r1 >>>= 2'],
    ['r1 <<<= 2'],
    ['r1 s+= 2'],
    ['r1 s<<= 2'],
    ['r1 s>= 2'],
    ['r1 > >= 2'],
    ['r1 *-= 2'],
    ['r1 +'],
    ['r1 s'],
    ['if r1 s== r2 goto +1'],
    ['if r1 >== 2 goto +1'],
    ['if r1 === 2 goto +1'],
    ['if r1 && 2 goto +1'],
    ['if r1 s& 2 goto +1'],
    ['if r1 s goto +1'],
    ['if r1 = 2 goto +1'],
    ['if r1 ! 2 goto +1'],
    ['if r1 <'],
    ['lock *(u64 *)(r1 + 0) |'],
  ])('%s: refused or read as the general path reads it', (text) => {
    const quick = fast(text);
    if (quick !== undefined) expect(quick).toEqual(general(text));
  });

  it.each([
    ['r0 = - 1', { code: 0xb7, imm: -1 }],
    ['r1 = 0x7fffffffffffffff ll', { code: 0x18, dst: 1, imm: -1, imm2: 0x7fffffff }],
    ['r2 = -0x1 ll', { code: 0x18, dst: 2, imm: -1, imm2: -1 }],
    ['if r1 s>= -5 goto lbl', { code: 0x75, dst: 1, imm: -5, target: 'lbl' }],
    ['*(u32 *)(r1 + 4) = w3', { code: 0x63, dst: 1, src: 3, off: 4 }],
    ['r0 = *(s8 *)(r1 - 2)', { code: 0x91, src: 1, off: -2 }],
    ['call 0x10', { code: 0x85, imm: 16 }],
    ['r1 s>>= 3', { code: 0xc7, dst: 1, imm: 3 }],
    ['w1 s/= w2', { code: 0x3c, dst: 1, src: 2, off: 1 }],
    ['r1 = -0', { code: 0xb7, dst: 1 }],
    ['r1 = 4294967295', { code: 0xb7, dst: 1, imm: 4294967295 }],
    ['w1 = 4294967295', { code: 0xb4, dst: 1, imm: -1 }],
    ['r1 &= 0x80000000', { code: 0x57, dst: 1, imm: 0x80000000 }],
    ['w1 &= 0x80000000', { code: 0x54, dst: 1, imm: -0x80000000 }],
    ['if r1 == 0xffffffff goto +1', { code: 0x15, dst: 1, imm: 0xffffffff, off: 1 }],
    ['if w1 == 0xffffffff goto +1', { code: 0x16, dst: 1, imm: -1, off: 1 }],
    ['*(u64 *)(r10 - 8) = 0xffffffff', { code: 0x7a, dst: 10, off: -8, imm: 0xffffffff }],
    ['*(u32 *)(r10 - 4) = 0xffffffff', { code: 0x62, dst: 10, off: -4, imm: -1 }],
    ['call 0xffffffff', { code: 0x85, imm: -1 }],
    ['lock *(u32 *)(r10 - 4) ^= w2', { code: 0xc3, dst: 10, src: 2, off: -4, imm: 0xa0 }],
    ['lock*(u64*)(r1+8)+=r2', { code: 0xdb, dst: 1, src: 2, off: 8 }],
    ['r3 = bswap64 r3', { code: 0xd7, dst: 3, imm: 64 }],
    ['r3 = le32  r3', { code: 0xd4, dst: 3, imm: 32 }],
    ['r1 = 0xffffffffffff ll', { code: 0x18, dst: 1, imm: -1, imm2: 0xffff }],
    ['r1 = 0xfffffffffffff ll', { code: 0x18, dst: 1, imm: -1, imm2: 0xfffff }],
    ['r1 = -0xfffffffffffff ll', { code: 0x18, dst: 1, imm: 1, imm2: -0x100000 }],
    ['r1 = 0x10000000000000 ll', { code: 0x18, dst: 1, imm2: 0x100000 }],
    ['r1 = 0x100000000 ll', { code: 0x18, dst: 1, imm2: 1 }],
    ['r1 = -999999999999999 ll', { code: 0x18, dst: 1, imm: 0x5b398001, imm2: -0x38d7f }],
    ['r1 = -0 ll', { code: 0x18, dst: 1, imm2: 0 }],
    ['if w1 s< w2 goto +1', { code: 0xce, dst: 1, src: 2, off: 1 }],
    ['if r1 <= 3 goto -1', { code: 0xb5, dst: 1, imm: 3, off: -1 }],
    ['if r1 & r2 goto +1', { code: 0x4d, dst: 1, src: 2, off: 1 }],
    ['if r1 != 0 goto +1', { code: 0x55, dst: 1, off: 1 }],
    ['w1 <<= 3', { code: 0x64, dst: 1, imm: 3 }],
    ['r1 s%= r2', { code: 0x9f, dst: 1, src: 2, off: 1 }],
    ['r0 = *(u8 *)(r1 + 0)', { code: 0x71, src: 1 }],
    ['r0 = *(s16 *)(r1 + 0)', { code: 0x89, src: 1 }],
  ])('%s is read on the fast path', (text, fields) => {
    const quick = fast(text);
    expect(quick).toEqual(d.makeInstruction(fields));
    expect(quick).toEqual(general(text));
  });

  it('reads ld_imm64 constants of every magnitude as the general path and the builder do', () => {
    const rnd = seededRandom(13);
    for (let k = 0; k < 3000; k++) {
      const bits = Math.floor(rnd() * 65);
      let value = 0n;
      for (let b = 0; b < bits; b++) value = (value << 1n) | (rnd() < 0.5 ? 0n : 1n);
      if (bits < 64 && rnd() < 0.5) value = -value;
      const magnitude = value < 0n ? -value : value;
      const sign = value < 0n ? '-' : '';
      for (const text of [`r3 = ${sign}0x${magnitude.toString(16)} ll`, `r3 = ${value} ll`]) {
        const quick = fast(text);
        expect(quick, text).toEqual(d.ldImm64(R3, value));
        expect(quick, text).toEqual(general(text));
      }
    }
  });

  it('shares one frozen object between equal instructions of one parse call, not between calls', () => {
    const text = 'r0 = 1\nr1 += r2\nr0 = 1\nr1 += r2\n*(u32 *)(r10 - 4) = 7\n*(u32 *)(r10 - 4) = 7\nr0 = 2';
    const first = d.parse(text);
    expect(first).toEqual([
      d.mov(R0, 1),
      d.add(R1, R2),
      d.mov(R0, 1),
      d.add(R1, R2),
      d.st('w', R10, -4, 7),
      d.st('w', R10, -4, 7),
      d.mov(R0, 2),
    ]);
    expect(first[2]).toBe(first[0]);
    expect(first[3]).toBe(first[1]);
    expect(first[5]).toBe(first[4]);
    expect(first[6]).not.toBe(first[0]);
    for (const insn of first) expect(Object.isFrozen(insn)).toBe(true);
    expect(d.parse(text)[0]).not.toBe(first[0]);
    // An offset beyond 16 bits is kept (for assemble to refuse).
    const wide = d.parse('r0 = *(u32 *)(r1 + 70000)\nr0 = *(u32 *)(r1 + 4464)');
    expect(wide[0]!.off).toBe(70000);
    expect(wide[1]!.off).toBe(4464);
    // 0xffffffff and -1 are one immediate of a 32-bit operation, but not of a 64-bit one that
    // sign-extends it: there 0xffffffff is kept (for assemble to refuse) and shares only with itself.
    const imms = d.parse(
      'w1 = 0xffffffff\nw1 = -1\nr1 = 0xffffffff\nr1 = -1\nr1 = 4294967295\nr1 = 0xffffffff',
    );
    expect(imms[1]).toBe(imms[0]);
    expect(imms[0]!.imm).toBe(-1);
    expect(imms[3]).not.toBe(imms[2]);
    expect(imms[2]!.imm).toBe(0xffffffff);
    expect(imms[3]!.imm).toBe(-1);
    expect(imms[4]).toBe(imms[2]);
    expect(imms[5]).toBe(imms[2]);
  });

  it('parse gives the same program through either path, labels and comments included', () => {
    const body = [d.mov(R0, 1), d.add(R1, R2), d.ldx('w', R3, R1, 4), d.stx('dw', R10, R3, -8), d.exit()];
    const text = d.format(body);
    expect(d.parse(text)).toEqual(body);
    const mixed = `start:\n${text.replace('exit', 'exit // the end')}/* block\ncomment */ r0 = 2; exit\n`;
    const parsed = d.parse(mixed);
    expect(parsed[0]).toEqual(d.makeInstruction({ ...body[0]!, label: 'start' }));
    expect(parsed.slice(1, 5)).toEqual(body.slice(1));
    expect(parsed.slice(5)).toEqual([d.mov(R0, 2), d.exit()]);
  });

  it('reads a statement on the general path (labelled, commented) as the pattern table does', () => {
    let errors = 0;
    for (const text of spellings(17, 1000)) {
      const table = general(text);
      const parsed = afterLabel(text);
      if (table instanceof Error) {
        errors++;
        expect(parsed, JSON.stringify(text)).toBeInstanceOf(d.ParseError);
        expect((parsed as Error).message, JSON.stringify(text)).toContain(`line 1: ${table.message}: `);
      } else {
        expect(parsed, JSON.stringify(text)).toEqual(table);
      }
    }
    // Some spellings are errors (e.g. words run together), and they stay the table's errors.
    expect(errors).toBeGreaterThan(0);
  });

  it('reads the statement of a general-path line with the fast path when it can (sharing equal instructions)', () => {
    const read = d.parse(
      'r0 = 1\nr0 = 1 // again\nr0 = 1; r0 = 1\n12: (b7) r0 = 1\n*(u32 *)(r10 - 4) = 7 // store',
    );
    expect(read).toEqual([
      d.mov(R0, 1),
      d.mov(R0, 1),
      d.mov(R0, 1),
      d.mov(R0, 1),
      d.mov(R0, 1),
      d.st('w', R10, -4, 7),
    ]);
    // Made through the one instruction cache of the call, not by the pattern table one by one.
    for (const insn of read.slice(1, 5)) expect(insn).toBe(read[0]);
    // The table still owns what the fast path refuses, errors included.
    expect(d.parse('r0 = 1 // a\nr0 = -r0 // negate')[1]).toEqual(d.neg(R0));
    expect(() => d.parse('r0 = 1\nr11 = 1 // no such register')).toThrow('line 2: no register r11: r11 = 1');
    expect(() => d.parse('12: (bf) r0 = 1')).toThrow(/line 1: reads as opcode 0xb7, not the listed \(bf\)/);
  });

  it('reports errors with their line numbers after fast-path lines', () => {
    expect(() => d.parse('r0 = 1\nr1 += r2\nr11 = 1\nexit')).toThrow(
      expect.objectContaining({ name: 'ParseError', line: 3 }),
    );
  });
});
