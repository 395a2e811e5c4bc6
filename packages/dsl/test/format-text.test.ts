// format writes bytes and decodes once (src/text-sink.ts): non-ASCII names, number edge cases and
// long programs must come out exactly as the per-instruction strings say.
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';

const { R0, R1 } = d;

describe('format output', () => {
  it('keeps non-ASCII labels, jump targets and map names intact', () => {
    const program = [
      d.makeInstruction({ ...d.mov(R0, 0), label: 'größe' }),
      d.makeInstruction({ code: 0x05, target: 'ziel_😀' }),
      d.makeInstruction({ code: 0x18, dst: 1, src: 1, map: 'zähler' }),
      d.makeInstruction({ ...d.exit(), label: 'ziel_😀' }),
    ];
    expect(d.format(program)).toBe('größe:\nr0 = 0\ngoto ziel_😀\nr1 = map[zähler]\nziel_😀:\nexit\n');
    expect(d.formatInstruction(program[1]!)).toBe('goto ziel_😀');
  });

  it.each([
    [d.mov(R0, -2147483648), 'r0 = -2147483648'],
    [d.mov(R0, 2147483647), 'r0 = 2147483647'],
    [d.add(R1, 0), 'r1 += 0'],
    [d.ldx('dw', R0, R1, -32768), 'r0 = *(u64 *)(r1 - 32768)'],
    [d.jgt(R1, -1, 32767), 'if r1 > -1 goto +32767'],
    [d.ldImm64(R1, -1n), 'r1 = 0xffffffffffffffff ll'],
  ])('%o prints %s', (insn, text) => {
    expect(d.formatInstruction(insn)).toBe(text);
  });

  it('names a helper call as the kernel log does in formatInstructionWithHelperName only', () => {
    const read = d.call('probe_read_kernel');
    expect(d.formatInstruction(read)).toBe('call 113');
    expect(d.format([read])).toBe('call 113\n');
    const named = d.formatInstructionWithHelperName(read);
    expect(named).toBe('call bpf_probe_read_kernel#113');
    expect(d.parse(named)).toEqual([read]);
    // an id no helper has, a bpf-to-bpf call and a kfunc call are not helpers: as without the option
    for (const other of [d.call(1_000_000), d.callLocal(3), d.callKfunc(113)])
      expect(d.formatInstructionWithHelperName(other)).toBe(d.formatInstruction(other));
    expect(d.formatInstructionWithHelperName(d.call(1_000_000))).toBe('call 1000000');
    expect(d.formatInstructionWithHelperName(d.mov(R0, 113))).toBe('r0 = 113');
  });

  it('prints an ld_imm64 whose halves are not 32-bit integers as it is; assemble refuses it by name', () => {
    for (const [imm, imm2] of [
      [1.5, 0],
      [0, 2 ** 40],
      [Number.NaN, 0],
    ] as const) {
      const insn = d.makeInstruction({ code: 0x18, dst: 1, src: 0, imm, imm2 });
      const text = `<invalid code=0x18 dst=1 src=0 off=0 imm=${imm} imm2=${imm2}>`;
      expect(d.formatInstruction(insn)).toBe(text);
      expect(d.format([insn])).toBe(`${text}\n`);
      expect(() => d.assemble([insn])).toThrow(d.AssemblyError);
    }
    // 32-bit halves, signed or unsigned, print as the 64-bit constant
    expect(d.formatInstruction(d.makeInstruction({ code: 0x18, dst: 1, imm: -1, imm2: 0xffffffff }))).toBe(
      'r1 = 0xffffffffffffffff ll',
    );
  });

  it('prints a long program as its instructions line by line', () => {
    const program = Array.from({ length: 5000 }, (_, i) =>
      i % 3 === 0 ? d.mov(R1, i * 7919) : d.add(R0, R1),
    );
    const text = d.format(program);
    expect(text).toBe(`${program.map((i) => d.formatInstruction(i)).join('\n')}\n`);
    expect(d.parse(text)).toEqual(program);
    expect(d.format([])).toBe('');
  });

  it('reuses its buffer from call to call without mixing their texts', () => {
    const big = Array.from({ length: 3000 }, (_, i) => d.mov(R1, i));
    const bigText = big.map((i) => `${d.formatInstruction(i)}\n`).join('');
    expect(d.format(big)).toBe(bigText);
    expect(d.format([d.exit()])).toBe('exit\n');
    expect(d.format([d.makeInstruction({ ...d.exit(), label: 'größe' })])).toBe('größe:\nexit\n');
    expect(d.format(big)).toBe(bigText);
  });

  it('gives a format call made while another is writing its own buffer', () => {
    d.format([d.exit()]); // leaves a spare buffer for the outer call to take
    let inner = '';
    const insn = {
      ...d.mov(R0, 7),
      get label() {
        inner = d.format([d.add(R1, 2), d.exit()]);
        return 'outer';
      },
    } as d.Instruction;
    expect(d.format([d.mov(R1, 1), insn, d.exit()])).toBe('r1 = 1\nouter:\nr0 = 7\nexit\n');
    expect(inner).toBe('r1 += 2\nexit\n');
  });

  it('prints the longest fields in full at every buffer boundary', () => {
    const max = 2 ** 32 - 1;
    const fetch = d.makeInstruction({ code: 0xdb, dst: max, src: max, off: -max, imm: 0x01 });
    const huge = d.makeInstruction({ code: 0xb7, dst: max, imm: -1.5e300 });
    const line = `r${max} = atomic_fetch_add((u64 *)(r${max} - ${max}), r${max})\nr${max} = -1.5e+300\n`;
    expect(d.format([fetch, huge])).toBe(line);
    const times = 20000; // about 1.7 MB: the buffer grows with lines at every offset
    expect(d.format(Array.from({ length: times }, () => [fetch, huge]).flat())).toBe(line.repeat(times));
  });
});
