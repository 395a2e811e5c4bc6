import { describe, expect, it } from 'vitest';
import type { Instruction } from '../src/index.js';
import * as d from '../src/index.js';

const { R0, R1, R2, R10 } = d;
const raw = d.makeInstruction;

/** [what, instruction, expected message fragment] — one row per validation rule. */
const CASES: [string, Instruction, RegExp][] = [
  ['opcode beyond a byte', raw({ code: 0x100 }), /opcode 256 is not a byte/],
  ['unknown opcode', raw({ code: 0x8f, dst: 1, src: 2 }), /unknown opcode 0x8f/],
  ['sign-extending load of dw', d.ldxs('dw', R0, R1), /sign-extending load does not allow size u64/],
  ['legacy packet load of dw', d.ldAbs('dw', 0), /legacy packet load does not allow size u64/],
  [
    'destination register out of range',
    raw({ code: 0xb7, dst: 11 }),
    /destination register r11 is out of range/,
  ],
  [
    'source register out of range',
    raw({ code: 0xbf, dst: 1, src: 12 }),
    /source register r12 is out of range/,
  ],
  ['offset beyond 16 bits', d.ldx('w', R0, R1, 40000), /offset 40000 does not fit 16 bits/],
  ['immediate beyond 32 bits', d.mov(R0, 2 ** 32), /immediate 4294967296 does not fit 32 bits/],
  ['non-integer immediate', d.mov(R0, 1.5), /immediate 1.5 does not fit 32 bits/],
  ['second immediate outside ld_imm64', raw({ code: 0xb7, imm2: 1 }), /only ld_imm64 has a second immediate/],
  ['map name outside ld_imm64', raw({ code: 0xb7, map: 'm' }), /only ld_imm64 loads a map/],
  ['r10 as ALU destination', d.mov(R10, 1), /r10 \(frame pointer\) is read-only/],
  ['byte swap width', raw({ code: 0xd4, dst: 1, imm: 8 }), /byte swap width must be 16, 32 or 64, not 8/],
  ['byte swap with offset', raw({ code: 0xd4, dst: 1, imm: 16, off: 1 }), /byte swap uses no source/],
  ['neg with operand', raw({ code: 0x87, dst: 1, imm: 3 }), /neg takes no operand/],
  ['register operand with immediate', raw({ code: 0x0f, dst: 1, src: 2, imm: 3 }), /immediate must be 0/],
  [
    'immediate operand with source register',
    raw({ code: 0x07, dst: 1, src: 2 }),
    /source register must be 0/,
  ],
  [
    'movsx32 from 32 bits',
    raw({ code: 0xbc, dst: 1, src: 2, off: 32 }),
    /movsx sign-extends from 8 or 16 bits/,
  ],
  ['movsx from 4 bits', raw({ code: 0xbf, dst: 1, src: 2, off: 4 }), /from 8, 16 or 32 bits, not offset 4/],
  ['ALU offset', raw({ code: 0x07, dst: 1, off: 1 }), /offset must be 0 \(1 only for sdiv\/smod\)/],
  [
    'label on a non-jump',
    raw({ code: 0x07, dst: 1, target: 'x' }),
    /only jumps, calls and ld_imm64 func name a label/,
  ],
  [
    'label on a store',
    raw({ code: 0x62, dst: 10, target: 'x' }),
    /only jumps, calls and ld_imm64 func name a label/,
  ],
  ['call with destination', raw({ code: 0x85, dst: 1, imm: 1 }), /call uses no destination register/],
  ['call source 3', raw({ code: 0x85, src: 3, imm: 1 }), /call source 3 is not 0/],
  ['helper call with offset', raw({ code: 0x85, off: 1, imm: 1 }), /call offset must be 0/],
  [
    'helper call naming a label',
    raw({ code: 0x85, target: 'f' }),
    /only bpf-to-bpf calls \(src 1\) name a label/,
  ],
  ['exit with operands', raw({ code: 0x95, imm: 1 }), /exit takes no operands/],
  ['goto with registers', raw({ code: 0x05, dst: 1, off: 1 }), /unconditional jump uses no registers/],
  ['goto with immediate', raw({ code: 0x05, imm: 1 }), /goto keeps its offset in off/],
  ['gotol with offset', raw({ code: 0x06, off: 1 }), /gotol keeps its offset in imm/],
  [
    'conditional jump: register operand with immediate',
    raw({ code: 0x1d, dst: 1, src: 2, imm: 1 }),
    /immediate/,
  ],
  [
    'conditional jump: immediate operand with register',
    raw({ code: 0x15, dst: 1, src: 2 }),
    /source register/,
  ],
  ['label and offset', raw({ code: 0x05, off: 2, target: 'x' }), /names label 'x' and also has an offset/],
  ['r10 as ld_imm64 destination', d.ldImm64(R10, 1), /r10 \(frame pointer\) is read-only/],
  ['ld_imm64 offset', raw({ code: 0x18, dst: 1, off: 1, imm2: 0 }), /ld_imm64 offset must be 0/],
  ['ld_imm64 pseudo source 7', raw({ code: 0x18, dst: 1, src: 7, imm2: 0 }), /source 7 is not a pseudo type/],
  [
    'ld_imm64 second immediate range',
    raw({ code: 0x18, dst: 1, imm2: 2 ** 33 }),
    /second immediate .* 32 bits/,
  ],
  [
    'map fd load with value offset',
    raw({ code: 0x18, dst: 1, src: 1, imm2: 4 }),
    /second immediate must be 0/,
  ],
  [
    'map name on a BTF id load',
    raw({ code: 0x18, dst: 1, src: 3, map: 'm', imm2: 0 }),
    /needs ld_imm64 source 1/,
  ],
  ['label on a constant load', raw({ code: 0x18, dst: 1, target: 'f', imm2: 0 }), /only ld_imm64 source 4/],
  ['r10 as load-acquire destination', d.loadAcquire('w', R10, R1), /r10 \(frame pointer\) is read-only/],
  ['unknown atomic op', raw({ code: 0xdb, dst: 10, src: 1, imm: 0x30 }), /unknown atomic operation 0x30/],
  ['atomic add of u16', d.atomic('add', 'h', R10, R1, -8), /needs size u32 or u64, not u16/],
  ['atomic fetch into r10', d.atomic('add', 'dw', R1, R10, 0, true), /cannot receive the fetched value/],
  ['ld_abs with destination', raw({ code: 0x30, dst: 1 }), /legacy packet loads use no destination/],
  ['ld_abs with source', raw({ code: 0x30, src: 1 }), /ld_abs uses no source register/],
  ['r10 as load destination', d.ldx('dw', R10, R1), /r10 \(frame pointer\) is read-only/],
  ['load with immediate', raw({ code: 0x61, dst: 1, src: 2, imm: 1 }), /loads take no immediate/],
  ['store immediate with source', raw({ code: 0x62, dst: 10, src: 1, off: -4 }), /uses no source register/],
  ['store register with immediate', raw({ code: 0x63, dst: 10, src: 1, imm: 1 }), /takes no immediate/],
];

describe('validation before bytes', () => {
  it.each(CASES)('%s', (_what, insn, message) => {
    const prog = [d.mov(R0, 0), insn, d.exit()];
    let error: unknown;
    try {
      d.assemble(prog);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(d.AssemblyError);
    const e = error as d.AssemblyError;
    expect(e.index).toBe(1);
    // A helper call is named as in the verifier's log: `call bpf_map_lookup_elem#1`.
    expect(e.text).toBe(d.formatInstructionWithHelperName(insn));
    expect(e.message).toContain(`instruction #1 (${e.text})`);
    expect(e.message).toMatch(message);
  });

  it('allows stores through r10 and reading r10', () => {
    expect(() =>
      d.assemble([d.stx('dw', R10, R1, -8), d.st('w', R10, -4, 1), d.mov(R1, R10), d.exit()]),
    ).not.toThrow();
  });
});

describe('assembly-time resolution errors', () => {
  it('undefined label', () => {
    expect(() => d.assemble([d.ja('nowhere'), d.exit()])).toThrow(
      /instruction #0 \(goto nowhere\): undefined label/,
    );
  });

  it('undefined call label suggests a helper', () => {
    expect(() => d.assemble(d.parse('call map_lookp_elem\nexit'))).toThrow(/did you mean 'map_lookup_elem'/);
  });

  it('duplicate label', () => {
    const prog = d.program(d.mark('a'), d.mov(R0, 0), d.mark('a'), d.exit());
    expect(() => d.assemble(prog)).toThrow(/instruction #1 \(exit\): duplicate label 'a'/);
  });

  it('jump out of 16-bit range (use gotol)', () => {
    const body = Array.from({ length: 40000 }, () => d.mov(R0, 0));
    const prog = d.program(d.ja('far'), body, d.mark('far'), d.exit());
    expect(() => d.assemble(prog)).toThrow(/jump to 'far' \(40000\) does not fit 16 bits/);
    expect(() => d.assemble(d.program(d.gotol('far'), body, d.mark('far'), d.exit()))).not.toThrow();
  });

  it('unresolved map name', () => {
    expect(() => d.assemble([d.ldMapFd(R1, 'counts'), d.exit()])).toThrow(
      /instruction #0 \(r1 = map\[counts\]\): map 'counts' is not resolved/,
    );
  });

  it('map resolving to a bad fd', () => {
    expect(() => d.assemble([d.ldMapFd(R1, 'm')], { maps: { m: -1 } })).toThrow(/resolved to bad fd -1/);
  });

  it('label with nothing after it', () => {
    expect(() => d.program(d.exit(), d.mark('end'))).toThrow(/label 'end' is not followed by an instruction/);
  });
});

describe('builder errors', () => {
  it('misspelt helper names suggest the nearest one', () => {
    expect(() => d.call('map_lookp_elem')).toThrow(
      "unknown helper 'map_lookp_elem'; did you mean 'map_lookup_elem'?",
    );
    expect(() => d.call('bpf_ktime_get_nss')).toThrow(/did you mean 'ktime_get_ns'/);
  });

  it('unknown size names and swap widths', () => {
    expect(() => d.ldx('q' as d.SizeName, R0, R1)).toThrow(/unknown access size 'q'/);
    expect(() => d.le(R0, 8 as 16)).toThrow(/16, 32 or 64/);
  });

  it('registers beyond r10', () => {
    expect(() => d.reg(11)).toThrow(/no register r11/);
    expect(d.reg(2)).toBe(R2);
  });
});
