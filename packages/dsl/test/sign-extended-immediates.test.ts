// An operation that sign-extends its 32-bit immediate to 64 bits (64-bit arithmetic and mov,
// 64-bit conditional jumps, u64 stores) must not take an unsigned value in [2^31, 2^32): the CPU
// would use its negative form (`r3 = 0xffffffff` sets r3 to -1). Builders, text and the `bpf`
// template keep such a value as written and `assemble` refuses it, saying what to write instead;
// every other operation still reads 0xffffffff and -1 alike.
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import type { Instruction } from '../src/instruction.js';
import { KIND_OF, Kind, signExtendsImm } from '../src/kinds.js';
import { ALU64, JMP } from './support/corpus.js';

const { R1, R3, R10 } = d;

/** The AssemblyError `assemble` throws for `insns`. */
function refusal(insns: readonly Instruction[]): d.AssemblyError {
  try {
    d.assemble(insns);
  } catch (e) {
    if (e instanceof d.AssemblyError) return e;
    throw e;
  }
  throw new Error('assemble did not refuse');
}

function bytes(insns: readonly Instruction[]): number[] {
  return Array.from(d.assemble(insns, { byteOrder: 'little' }));
}

const EXIT = [0x95, 0, 0, 0, 0, 0, 0, 0];
const FF = [0xff, 0xff, 0xff, 0xff];

describe('an unsigned immediate on an operation that sign-extends it', () => {
  // [name, builder form, text form, template form, value, what the CPU would use, the 32-bit form]
  const cases: [string, () => d.Fragment, string, () => Instruction[], number, string, string][] = [
    [
      'r3 = 0xffffffff',
      () => [d.mov(R3, 0xffffffff), d.exit()],
      'r3 = 0xffffffff\nexit',
      () => d.bpf`r3 = ${0xffffffff}; exit`,
      4294967295,
      '-1',
      'w3 = 4294967295',
    ],
    [
      'r1 &= 0x80000000',
      () => [d.and(R1, 0x80000000), d.exit()],
      'r1 &= 0x80000000\nexit',
      () => d.bpf`r1 &= ${0x80000000}; exit`,
      2147483648,
      '-2147483648',
      'w1 &= 2147483648',
    ],
    [
      'if r1 == 0xffffffff goto l',
      () => [d.jeq(R1, 0xffffffff, 'l'), d.mark('l'), d.exit()],
      'if r1 == 0xffffffff goto l\nl: exit',
      () => d.bpf`if r1 == ${0xffffffff} goto l\nl: exit`,
      4294967295,
      '-1',
      'if w1 == 4294967295 goto l',
    ],
    [
      '*(u64 *)(r10 - 8) = 0xffffffff',
      () => [d.st('dw', R10, -8, 0xffffffff), d.exit()],
      '*(u64 *)(r10 - 8) = 0xffffffff\nexit',
      () => d.bpf`*(u64 *)(r10 - 8) = ${0xffffffff}; exit`,
      4294967295,
      '-1',
      '*(u32 *)(r10 - 8) = 4294967295',
    ],
  ];

  it.each(cases)(
    '%s is refused at assemble in builder, text and template form',
    (name, build, text, template, value, negative, narrow) => {
      const hex = `0x${value.toString(16)}`;
      for (const insns of [d.program(...build()), d.parse(text), template()]) {
        const e = refusal(insns);
        expect(e.index).toBe(0);
        expect(e.text).toBe(name.replace(hex, String(value)));
        expect(e.message).toContain(`instruction #0 (${e.text}): immediate ${value} (${hex})`);
        expect(e.reason).toContain('this 64-bit operation sign-extends its 32-bit immediate');
        expect(e.reason).toContain(`the CPU would use ${negative} (0xffffffff${value.toString(16)})`);
        expect(e.reason).toContain(`Write ${negative} if that is meant`);
        expect(e.reason).toContain(`the 32-bit form \`${narrow}\``);
        expect(e.reason).toContain(`ld_imm64: \`r${name.startsWith('r3') ? '3' : 'N'} = ${hex} ll\``);
      }
    },
  );

  it('is refused through the bpf template, the way the BPF_F_CURRENT_CPU bug was written', () => {
    const flag = 0xffffffff;
    const e = refusal(d.bpf`r3 = ${flag}; exit`);
    expect(e.message).toContain('instruction #0 (r3 = 4294967295): immediate 4294967295 (0xffffffff)');
    expect(e.reason).toContain('mov32');
    expect(e.reason).toContain('ldImm64(R3, 0xffffffffn)');
    expect(() => d.assemble(d.bpf`r3 = ${flag} ll; exit`)).not.toThrow();
    expect(() => d.assemble(d.bpf`w3 = ${flag}; exit`)).not.toThrow();
  });

  it('names the instruction by its index when parsed from text, after other lines', () => {
    const e = refusal(d.parse('r0 = 0\nstart:\nr1 = 1 // one\nr1 |= 0x80000000\nexit'));
    expect(e.index).toBe(2);
    expect(e.text).toBe('r1 |= 2147483648');
    expect(e.reason).toContain('(or32)');
  });

  it('is refused for every sign-extending operation, through structured control flow too', () => {
    const big = 0x80000000;
    for (const build of ALU64) {
      expect(refusal([build(R1, big)]).reason).toContain('sign-extends');
    }
    for (const build of JMP) {
      expect(refusal([build(R1, big, 0)]).reason).toContain('sign-extends');
    }
    expect(refusal(d.program(d.ifElse(d.cond(R1, '==', big), [d.mov(R1, 0)]), d.exit())).reason).toContain(
      'sign-extends',
    );
    expect(() =>
      d.assemble(d.program(d.ifElse(d.cond32(R1, '==', big), [d.mov(R1, 0)]), d.exit())),
    ).not.toThrow();
  });

  it('a value beyond 32 bits is still out of range', () => {
    expect(refusal([d.mov(R3, 0x100000000)]).reason).toBe('immediate 4294967296 does not fit 32 bits');
    expect(refusal([d.mov32(R3, -0x80000001)]).reason).toBe('immediate -2147483649 does not fit 32 bits');
  });
});

describe('operations that do not sign-extend their immediate, and the fixes', () => {
  it('take 0xffffffff as -1 and encode the same bytes as before', () => {
    const cases: [Instruction[], number[]][] = [
      [[d.mov32(R3, 0xffffffff)], [0xb4, 0x03, 0, 0, ...FF]],
      [d.parse('w3 = 0xffffffff'), [0xb4, 0x03, 0, 0, ...FF]],
      [d.bpf`w3 = ${0xffffffff}`, [0xb4, 0x03, 0, 0, ...FF]],
      [[d.jeq32(R1, 0xffffffff, 1)], [0x16, 0x01, 1, 0, ...FF]],
      [d.parse('if w1 == 0xffffffff goto +1'), [0x16, 0x01, 1, 0, ...FF]],
      [[d.st('w', R10, -4, 0xffffffff)], [0x62, 0x0a, 0xfc, 0xff, ...FF]],
      [d.parse('*(u32 *)(r10 - 4) = 0xffffffff'), [0x62, 0x0a, 0xfc, 0xff, ...FF]],
      [d.parse('r3 = 0xffffffff ll'), [0x18, 0x03, 0, 0, ...FF, 0, 0, 0, 0, 0, 0, 0, 0]],
      [[d.ldImm64(R3, 0xffffffffn)], [0x18, 0x03, 0, 0, ...FF, 0, 0, 0, 0, 0, 0, 0, 0]],
      [[d.and32(R1, 0x80000000)], [0x54, 0x01, 0, 0, 0, 0, 0, 0x80]],
      [[d.call(0xffffffff)], [0x85, 0, 0, 0, ...FF]],
      [[d.ldAbs('w', 0xffffffff)], [0x20, 0, 0, 0, ...FF]],
      [[d.gotol(0xffffffff)], [0x06, 0, 0, 0, ...FF]],
    ];
    for (const [insns, expected] of cases)
      expect(bytes([...insns, d.exit()])).toEqual([...expected, ...EXIT]);
    expect(d.mov32(R3, 0xffffffff)).toEqual(d.mov32(R3, -1));
    expect(d.st('h', R10, -2, 0xffffffff)).toEqual(d.st('h', R10, -2, -1));
  });

  it('r3 = -1 still works, and means r3 = 0xffffffffffffffff', () => {
    const expected = [0xb7, 0x03, 0, 0, ...FF, ...EXIT];
    expect(bytes([d.mov(R3, -1), d.exit()])).toEqual(expected);
    expect(bytes(d.parse('r3 = -1\nexit'))).toEqual(expected);
    expect(bytes(d.bpf`r3 = ${-1}; exit`)).toEqual(expected);
    expect(bytes([d.mov(R3, 0x7fffffff), d.exit()]).slice(4, 8)).toEqual([0xff, 0xff, 0xff, 0x7f]);
  });

  it('format prints a kept value as written, and parse reads it back the same', () => {
    const kept = [d.mov(R3, 0xffffffff), d.jsgt(R1, 0x80000000, 2), d.st('dw', R10, -8, 0xfffffffe)];
    const text = d.format(kept);
    expect(text).toBe('r3 = 4294967295\nif r1 s> 2147483648 goto +2\n*(u64 *)(r10 - 8) = 4294967294\n');
    expect(d.parse(text)).toStrictEqual(kept);
  });
});

describe('signExtendsImm', () => {
  it('holds exactly for ALU64 K (not neg, not bswap), JMP K conditional jumps and ST DW', () => {
    const expected = new Set<number>();
    for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0])
      expected.add(op | 0x07);
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0])
      expected.add(op | 0x05);
    expected.add(0x7a);
    for (let code = 0; code < 256; code++) {
      expect(signExtendsImm(code), `0x${code.toString(16)}`).toBe(expected.has(code));
      if (expected.has(code)) expect(KIND_OF[code]).not.toBe(Kind.INVALID);
    }
    expect(signExtendsImm(-1)).toBe(false);
    expect(signExtendsImm(256)).toBe(false);
  });
});
