import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { DIRECT_ENCODINGS, llvmCompatibleCorpus, prng } from './support/corpus.js';

const { R0, R1, R2, R10 } = d;
const all = [...llvmCompatibleCorpus(), ...DIRECT_ENCODINGS.map(([insn]) => insn)];

describe('one representation everywhere', () => {
  it('builders return frozen plain objects', () => {
    for (const insn of all) expect(Object.isFrozen(insn)).toBe(true);
    expect(() => {
      (d.exit() as { code: number }).code = 1;
    }).toThrow();
  });

  it('parse(format(x)) deep-equals x for every instruction form', () => {
    expect(d.parse(d.format(all))).toStrictEqual(all);
  });

  it('disassemble(assemble(x)) deep-equals x (little- and big-endian)', () => {
    expect(d.disassemble(d.assemble(all))).toStrictEqual(all);
    expect(d.disassemble(d.assemble(all, { byteOrder: 'big' }), { byteOrder: 'big' })).toStrictEqual(all);
  });

  it('disassembled instructions are frozen', () => {
    for (const insn of d.disassemble(d.assemble(all))) expect(Object.isFrozen(insn)).toBe(true);
  });

  it('big-endian swaps the register nibbles and multi-byte fields', () => {
    const [be] = [d.assemble([d.jeq(R1, R2, 0x102)], { byteOrder: 'big' })];
    expect(Array.from(be!)).toEqual([0x1d, 0x12, 0x01, 0x02, 0, 0, 0, 0]);
    expect(Array.from(d.assemble([d.mov(R1, 0x01020304)], { byteOrder: 'big' }))).toEqual([
      0xb7, 0x10, 0, 0, 1, 2, 3, 4,
    ]);
  });

  it('keeps labels, targets and map names through format and parse', () => {
    const prog = d.program(
      d.ldMapFd(R1, 'events'),
      d.ldMapValue(R2, 'config', 12),
      d.jeq(R1, 0, 'done'),
      d.callLocal('sub'),
      d.ldFunc(R2, 'sub'),
      d.gotol('done'),
      d.mark('sub'),
      d.mov(R0, 1),
      d.exit(),
      d.mark('done'),
      d.exit(),
    );
    expect(d.parse(d.format(prog))).toStrictEqual(prog);
  });

  it('reads kernel verifier spellings too', () => {
    expect(
      d.parse('r0 = *(u32 *)(r1 +4)\nif r1 > 0x3c goto pc+1\ncall bpf_map_lookup_elem#1\ncall pc+2'),
    ).toEqual([d.ldx('w', R0, R1, 4), d.jgt(R1, 0x3c, 1), d.call(1), d.callLocal(2)]);
  });

  it('reads kernel listings: line numbers, opcodes, ld_imm64 without ll, atomic64_*, call name#imm', () => {
    const listing = [
      '   0: (18) r1 = 0x123456789',
      '   2: (db) r2 = atomic64_fetch_add((u64 *)(r10 -8), r2)',
      '   3: (c3) r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r2)',
      '   4: (db) r2 = atomic64_xchg((u64 *)(r10 -8), r2)',
      '   5: (85) call bpf_user_rnd_u32#23440',
      '   6: (50) r0 = *(u8 *)skb[r1 + -4]',
      '   7: (c6) if w2 s< 0xfffffffb goto pc+1',
      '   8: (95) exit',
      '   9: (15) if r2 == 0xffffffff goto pc+1',
      '  10: (b5) if r2 <= 0x80000000 goto pc-3',
    ].join('\n');
    expect(d.parse(listing)).toEqual([
      d.ldImm64(R1, 0x123456789n),
      d.atomic('add', 'dw', R10, R2, -8, true),
      d.cmpxchg('w', R10, R2, -8),
      d.xchg('dw', R10, R2, -8),
      d.call(23440),
      d.ldInd('b', R1, -4),
      d.jslt32(R2, -5, 1),
      d.exit(),
      // The kernel prints a 64-bit jump's immediate as the bits of the field: 0xffffffff is -1.
      d.jeq(R2, -1, 1),
      d.jle(R2, -0x80000000, -3),
    ]);
    expect(() => d.parse('0: (b7) r0 = r1')).toThrow(/reads as opcode 0xbf, not the listed \(b7\)/);
    // other immediates the kernel prints as signed decimals: an unsigned one is kept, and refused
    for (const line of ['0: (b7) r3 = 4294967295', '0: r3 = 0xffffffff', '0: (57) r1 &= 0x80000000']) {
      const [insn] = d.parse(line);
      expect(insn!.imm, line).toBeGreaterThan(0x7fffffff);
      expect(() => d.assemble([insn!]), line).toThrow(/sign-extends its 32-bit immediate/);
    }
  });

  it('accepts comments, semicolons and labels on the same line', () => {
    const prog = d.parse('/* start */ r0 = 0 // zero\nloop: r0 += 1; if r0 < 10 goto loop\nexit');
    expect(prog).toEqual(
      d.program(d.mov(R0, 0), d.mark('loop'), d.add(R0, 1), d.jlt(R0, 10, 'loop'), d.exit()),
    );
  });

  it('accepts w registers in stores and loads, as llvm prints them', () => {
    expect(d.parse('*(u32 *)(r10 - 8) = w1\nw0 = *(u32 *)(r1 + 4)')).toEqual([
      d.stx('w', R10, R1, -8),
      d.ldx('w', R0, R1, 4),
    ]);
  });

  it('treats 0xffffffff and -1 immediates alike only where the CPU reads them alike', () => {
    expect(d.mov32(R0, 0xffffffff)).toEqual(d.mov32(R0, -1));
    expect(d.parse('w0 = 0xffffffff')).toEqual([d.mov32(R0, -1)]);
    // A 64-bit mov sign-extends its immediate: 0xffffffff is kept, for assemble to refuse.
    expect(d.mov(R0, 0xffffffff)).not.toEqual(d.mov(R0, -1));
    expect(d.mov(R0, 0xffffffff).imm).toBe(0xffffffff);
    expect(d.parse('r0 = 0xffffffff')).toEqual([d.mov(R0, 0xffffffff)]);
  });

  it('ld_imm64 keeps the full 64-bit value', () => {
    const insn = d.ldImm64(R1, 0xfedcba9876543210n);
    expect(d.imm64Value(insn)).toBe(0xfedcba9876543210n);
    expect(d.formatInstruction(insn)).toBe('r1 = 0xfedcba9876543210 ll');
    expect(d.imm64Value(d.ldImm64(R1, -2))).toBe(0xfffffffffffffffen);
    expect(() => d.ldImm64(R1, 1n << 64n)).toThrow(d.AssemblyError);
  });
});

describe('format prints the kernel / llvm syntax', () => {
  const { R3, R4 } = d;
  it.each([
    [d.mov(R0, 1), 'r0 = 1'],
    [d.mov32(R1, R2), 'w1 = w2'],
    [d.sdiv(R1, -3), 'r1 s/= -3'],
    [d.smod32(R1, R2), 'w1 s%= w2'],
    [d.arsh(R3, 4), 'r3 s>>= 4'],
    [d.neg32(R4), 'w4 = -w4'],
    [d.movsx32(R1, R2, 16), 'w1 = (s16)w2'],
    [d.le(R1, 64), 'r1 = le64 r1'],
    [d.bswap(R1, 16), 'r1 = bswap16 r1'],
    [d.ja(-1), 'goto -1'],
    [d.gotol(70000), 'gotol +70000'],
    [d.jsle32(R1, R2, 3), 'if w1 s<= w2 goto +3'],
    [d.jset(R1, 4, 'x'), 'if r1 & 4 goto x'],
    [d.call(1), 'call 1'],
    [d.callLocal(-4), 'call pc-4'],
    [d.callKfunc(77, 2), 'call kfunc#77@2'],
    [d.ldx('dw', R0, R10, -8), 'r0 = *(u64 *)(r10 - 8)'],
    [d.ldxs('b', R0, R1, 3), 'r0 = *(s8 *)(r1 + 3)'],
    [d.st('h', R10, -2, 7), '*(u16 *)(r10 - 2) = 7'],
    [d.ldAbs('w', 8), 'r0 = *(u32 *)skb[8]'],
    [d.ldInd('h', R1, -2), 'r0 = *(u16 *)skb[r1 - 2]'],
    [d.atomic('or', 'w', R1, R2, 4), 'lock *(u32 *)(r1 + 4) |= w2'],
    [d.atomic('xor', 'dw', R1, R2, 0, true), 'r2 = atomic_fetch_xor((u64 *)(r1 + 0), r2)'],
    [d.xchg('w', R1, R2, -4), 'w2 = xchg32_32(r1 - 4, w2)'],
    [d.cmpxchg('dw', R1, R2), 'r0 = cmpxchg_64(r1 + 0, r0, r2)'],
    [d.loadAcquire('dw', R0, R1), 'r0 = load_acquire((u64 *)(r1 + 0))'],
    [d.storeRelease('b', R1, R2, 1), 'store_release((u8 *)(r1 + 1), w2)'],
    [d.ldImm64(R1, -1n), 'r1 = 0xffffffffffffffff ll'],
    [d.ldMapFd(R1, 'm'), 'r1 = map[m]'],
    [d.ldMapValue(R1, { fd: 4 }, 8), 'r1 = map[fd:4][0]+8'],
    [d.ldBtfId(R1, 5), 'r1 = btf_id[5]'],
    [d.ldFunc(R1, 'cb'), 'r1 = func[cb]'],
    [d.ldMapIdx(R1, 1), 'r1 = map[idx:1]'],
    [d.ldMapIdxValue(R1, 1, 4), 'r1 = map[idx:1][0]+4'],
    [d.makeInstruction({ code: 0xff }), '<invalid code=0xff dst=0 src=0 off=0 imm=0>'],
  ])('%s', (insn, text) => {
    expect(d.formatInstruction(insn)).toBe(text);
  });
});

describe('tagged template', () => {
  it('parses text with interpolated numbers, registers and maps', () => {
    const map = { fd: 9 };
    const off = -8;
    expect(
      d.bpf`r0 = ${2}; *(u64 *)(r10 ${off}) = r0; r1 = ${map}; r2 = map[${map}][0]+4; ${R0} += 1; exit`,
    ).toEqual([
      d.mov(R0, 2),
      d.stx('dw', R10, R0, -8),
      d.ldMapFd(R1, map),
      d.ldMapValue(R2, map, 4),
      d.add(R0, 1),
      d.exit(),
    ]);
  });

  it('rejects values it cannot splice', () => {
    expect(() => d.bpf`r0 = ${{}}`).toThrow(d.TemplateError);
    expect(() => d.bpf`r0 = 1; r1 = ${{ fd: '3' }}`).toThrow(/interpolation #1: a map's fd must be/);
    expect(() => d.bpf`r0 = ${1}; r1 = ${1.5}`).toThrow(/interpolation #2: number 1.5 is not an integer/);
  });
});

describe('parse errors', () => {
  it.each([
    ['r0 = banana', /line 1: unrecognised instruction/],
    ['exit\nw1 += r2', /line 2: mixes 32-bit/],
    ['r11 = 1', /no register r11/],
    ['r1 = atomic_fetch_add((u64 *)(r10 - 8), r2)', /returns into its source register/],
    ['r1 = cmpxchg_64(r10 - 8, r0, r2)', /returns into r0/],
    ['r1 = -r2', /negation is dst = -dst/],
    ['r1 = be16 r2', /byte swaps/],
    ['r1 = *(u8 *)skb[4]', /packet loads/],
    ['*(s8 *)(r10 - 8) = 1', /not a size/],
    ['lock *(u64 *)(r10 - 8) -= r1', /atomic operation must be/],
    [
      'exit\nend:',
      /line 2: label 'end' is not followed by an instruction; a text cannot end at a label: .* mark\('end'\) after the text.*: end:/,
    ],
  ])('%s', (text, message) => {
    expect(() => d.parse(text)).toThrow(d.ParseError);
    expect(() => d.parse(text)).toThrow(message);
  });
});

describe('parse never fails with anything but ParseError', () => {
  it('on 20,000 random token soups', () => {
    const rnd = prng(7);
    const tokens = [
      'r1',
      'w2',
      'r11',
      '=',
      '+=',
      's>>=',
      '*',
      '(',
      ')',
      'u32',
      's8',
      '+',
      '-',
      '0x',
      '99999999999',
      '4',
      'goto',
      'if',
      '>',
      'call',
      'lock',
      'map',
      '[',
      ']',
      'fd:',
      'll',
      ':',
      'L1',
      'skb',
      'exit',
      ',',
      '#',
      'pc',
    ];
    let parsed = 0;
    for (let i = 0; i < 20000; i++) {
      const text = Array.from(
        { length: 1 + Math.floor(rnd() * 8) },
        () => tokens[Math.floor(rnd() * tokens.length)],
      ).join(' ');
      try {
        d.parse(text);
        parsed += 1;
      } catch (e) {
        if (!(e instanceof d.ParseError) && !(e instanceof d.AssemblyError))
          throw new Error(`${text}: ${String(e)}`);
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});
