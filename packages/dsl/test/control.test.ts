import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';

const { R0, R1, R2 } = d;

/** Offsets survive a trip through labels: disassembling with labels and reassembling gives the same bytes. */
function jumpsResolve(insns: d.Instruction[]): void {
  const bytes = d.assemble(insns);
  const back = d.disassemble(bytes, { labels: true });
  expect(d.assemble(back)).toEqual(bytes);
}

describe('labels', () => {
  it('resolve forward and backward, counting ld_imm64 as two slots', () => {
    const prog = d.program(
      d.mark('top'),
      d.ldImm64(R1, 1),
      d.jeq(R1, 0, 'end'),
      d.ldImm64(R2, 2),
      d.ja('top'),
      d.mark('end'),
      d.exit(),
    );
    const back = d.disassemble(d.assemble(prog));
    expect(back[1]!.off).toBe(3);
    expect(back[3]!.off).toBe(-6);
  });

  it('several markers on one instruction become one label', () => {
    const prog = d.program(d.ja('b'), d.mark('a'), d.mark('b'), d.exit(), d.ja('a'));
    expect(prog[1]!.label).toBe('a');
    expect(prog[0]!.target).toBe('a');
    expect(d.assemble(prog)[2]).toBe(0);
  });

  it('withLabel attaches a label', () => {
    expect(d.withLabel('x', d.exit()).label).toBe('x');
  });

  it('disassemble can name jump targets', () => {
    const prog = d.program(d.jeq(R1, 0, 'x'), d.callLocal('f'), d.mark('x'), d.exit(), d.mark('f'), d.exit());
    const text = d.format(d.disassemble(d.assemble(prog), { labels: true }));
    expect(text).toBe('if r1 == 0 goto L2\ncall L3\nL2:\nexit\nL3:\nexit\n');
    jumpsResolve(prog);
  });

  it('listing shows slots, bytes, labels and helper names', () => {
    const prog = d.program(
      d.ldImm64(R1, 5),
      d.jeq(R1, 0, 'out'),
      d.call('ktime_get_ns'),
      d.mark('out'),
      d.exit(),
    );
    expect(d.listing(prog)).toBe(
      [
        '    0: 18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00  r1 = 0x5 ll',
        '    2: 15 01 01 00 00 00 00 00                          if r1 == 0 goto out',
        '    3: 85 00 00 00 05 00 00 00                          call 5 // bpf_ktime_get_ns',
        'out:',
        '    4: 95 00 00 00 00 00 00 00                          exit',
        '',
      ].join('\n'),
    );
    expect(d.listing([d.ja(1), d.mov(R0, 0), d.exit()])).toContain('goto L2\n');
  });
});

describe('structured control flow', () => {
  it('if/else inverts the condition around the then-branch', () => {
    const text = d.format(d.program(d.ifElse(d.cond(R1, '>', 5), [d.mov(R0, 1)], [d.mov(R0, 2)]), d.exit()));
    expect(text).toMatch(
      /^if r1 <= 5 goto (\.Lelse\d+)\nr0 = 1\ngoto (\.Lendif\d+)\n\1:\nr0 = 2\n\2:\nexit\n$/,
    );
  });

  it('if without else, 32-bit and bit-test conditions', () => {
    const text = d.format(d.program(d.ifElse(d.cond32(R1, '&', 4), [d.mov(R0, 1)]), d.exit()));
    expect(text).toMatch(/^if w1 & 4 goto (\.Lthen\d+)\ngoto (\.Lendif\d+)\n\1:\nr0 = 1\n\2:\nexit\n$/);
  });

  it('while and for loops', () => {
    const w = d.format(d.program(d.whileLoop(d.cond(R1, 's<', R2), [d.add(R1, 1)]), d.exit()));
    expect(w).toMatch(/^(\.Lwhile\d+):\nif r1 s>= r2 goto (\.Lendwhile\d+)\nr1 \+= 1\ngoto \1\n\2:\nexit\n$/);
    const f = d.format(d.program(d.forLoop(R1, 4, [d.add(R0, R1)]), d.exit()));
    expect(f).toMatch(
      /^r1 = 0\n(\.Lfor\d+):\nif r1 >= 4 goto (\.Lendfor\d+)\nr0 \+= r1\nr1 \+= 1\ngoto \1\n\2:\nexit\n$/,
    );
  });

  it('generated programs round-trip through text', () => {
    const prog = d.program(d.forLoop(R1, 4, [d.ifElse(d.cond(R1, '==', 2), [d.mov(R0, 1)])]), d.exit());
    expect(d.parse(d.format(prog))).toEqual(prog);
    jumpsResolve(prog);
  });
});

describe('disassembly errors', () => {
  it('rejects truncated input, unknown opcodes and jumps into nowhere', () => {
    expect(() => d.disassemble(new Uint8Array(12))).toThrow(/length 12 is not a multiple of 8/);
    expect(() => d.disassemble(Uint8Array.of(0x18, 1, 0, 0, 0, 0, 0, 0))).toThrow(
      /ld_imm64 is missing its second slot/,
    );
    expect(() => d.disassemble(Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0))).toThrow(
      /at byte 0: unknown opcode 0xff/,
    );
    expect(d.disassemble(Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0), { allowInvalid: true })[0]!.code).toBe(
      0xff,
    );
    expect(() => d.disassemble(d.assemble([d.ja(5), d.exit()]), { labels: true })).toThrow(/targets slot 6/);
  });

  it('refuses an ld_imm64 second slot with reserved fields instead of dropping them', () => {
    for (const [at, value, named] of [
      [8, 0x07, /code 0x7/],
      [9, 0x21, /registers 0x21/],
      [10, 0x01, /off 1/],
    ] as const) {
      const bytes = d.assemble([d.ldImm64(R1, 1n << 40n), d.exit()], { byteOrder: 'little' });
      bytes[at] = value;
      expect(() => d.disassemble(bytes, { byteOrder: 'little' })).toThrow(named);
      expect(() => d.disassemble(bytes, { byteOrder: 'little', allowInvalid: true })).toThrow(
        /at byte 8: second slot of ld_imm64 has reserved fields set/,
      );
    }
  });
});
