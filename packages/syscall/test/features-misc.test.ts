import { execFileSync } from 'node:child_process';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfInsnClass, BpfJmpOp } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { MISC_PROBE_PROGRAMS } from '../src/features-misc.js';
import {
  BpfArgumentError,
  BpfMapCreateFlag,
  BpfMapType,
  BpfProgType,
  features,
  formatFeatures,
  probeBoundedLoops,
  probeInstructionSet,
  probeLargeInstructions,
  probeMapFlag,
} from '../src/index.js';
import { EXIT, encodeInsns, mov64Imm } from '../src/probe-insns.js';
import { probeLoad, verdict } from '../src/probe-load.js';

/** llvm-mc-19's encoding of `text` (one instruction a line), as one hex string. */
function llvmBytes(lines: readonly string[]): string {
  const out = execFileSync('llvm-mc-19', ['-triple', 'bpf', '-mcpu=v4', '-show-encoding'], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
  });
  return [...out.matchAll(/# encoding: \[([^\]]*)\]/g)]
    .map((m) => m[1]!.replaceAll('0x', '').replaceAll(',', ''))
    .join('');
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('misc probe programs (pure)', () => {
  // The probes write instruction bytes by hand (this package may not use the DSL): an
  // independent assembler must give the same bytes for the instructions each probe means.
  it.runIf(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1)(
    'are the instructions llvm-mc assembles from their text',
    () => {
      const programs: Record<string, string[]> = {
        loops: ['r0 = 0', 'r0 += 1', 'if r0 != 4 goto -2', 'exit'],
        v2: ['r0 = 0', 'if r0 < 1 goto +1', 'r0 = 1', 'if r0 s<= 0 goto +1', 'r0 = 0', 'exit'],
        v3: [
          '*(u64 *)(r10 - 8) = 0',
          'r1 = 1',
          'r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)',
          'w0 = 0',
          'if w1 < 2 goto +1',
          'w0 = 1',
          'exit',
        ],
        v4: [
          '*(u64 *)(r10 - 8) = -1',
          'r1 = *(s8 *)(r10 - 8)',
          'r1 s/= 3',
          'r1 s%= 3',
          'r0 = (s16)r1',
          'r0 = bswap32 r0',
          'gotol +0',
          'r0 = 0',
          'exit',
        ],
      };
      for (const [name, lines] of Object.entries(programs))
        expect(hex(MISC_PROBE_PROGRAMS[name]!()), name).toBe(llvmBytes(lines));
      const large = MISC_PROBE_PROGRAMS.large!();
      expect(large.byteLength / 8).toBe(4097);
      expect(hex(large)).toBe(llvmBytes([...Array(4096).fill('r0 = 0'), 'exit']));
    },
  );

  it('the verdict of a verifier log is its last line that is not a trace, a state or a statistic', () => {
    expect(
      verdict(
        '0: R1=ctx() R10=fp0\n0: (b7) r0 = 0 ; R0=0\n1: (37) r0 /= 3\nBPF_ALU uses reserved fields\nprocessed 2 insns (limit 1000000)\n',
      ),
    ).toBe('BPF_ALU uses reserved fields');
    expect(
      verdict(
        'infinite loop detected at insn 1\ncur state: R0=0 R10=fp0\nold state: R0=P0 R10=fp0\nprocessed 9 insns\n',
      ),
    ).toBe('infinite loop detected at insn 1');
    expect(verdict('')).toBeUndefined();
  });
});

describeKernel('misc feature probes', () => {
  it('find large programs, bounded loops and instruction sets v2, v3 and v4 on this kernel', () => {
    expect(probeLargeInstructions()).toEqual({ supported: true });
    expect(probeBoundedLoops()).toEqual({ supported: true });
    for (const v of [2, 3, 4] as const) expect(probeInstructionSet(v), `v${v}`).toEqual({ supported: true });
    // cached for the process: the same answer object
    expect(probeInstructionSet(4)).toBe(probeInstructionSet(4));
  });

  it('refuse a version they do not know', () => {
    expect(() => probeInstructionSet(5 as never)).toThrow(BpfArgumentError);
    expect(() => probeInstructionSet(1 as never)).toThrow(/expected 2, 3 or 4/);
    expect(() => probeInstructionSet('2' as never)).toThrow(BpfArgumentError);
  });

  it('report a refused program with its errno and the verifier verdict', () => {
    // `r0 = 0; l: if r0 == 0 goto l; exit`: a loop that never ends, which no kernel loads
    const forever = encodeInsns([mov64Imm(0, 0), { code: BpfInsnClass.JMP | BpfJmpOp.JEQ, off: -1 }, EXIT]);
    const r = probeLoad({ progType: BpfProgType.SOCKET_FILTER, insns: forever }, 'forever', ['CAP_BPF']);
    expect(r.supported).toBe(false);
    expect(r.reason).toBe('EINVAL: infinite loop detected at insn 1');
  });

  it('features() reports them as misc, and formatFeatures prints them', () => {
    const report = features();
    expect(report.misc).toEqual({
      LARGE_INSN_LIMIT: { supported: true },
      BOUNDED_LOOPS: { supported: true },
      ISA_V2: { supported: true },
      ISA_V3: { supported: true },
      ISA_V4: { supported: true },
    });
    const text = formatFeatures(report);
    expect(text).toMatch(
      /\nmisc\n {2}yes {2}large_insn_limit\n {2}yes {2}bounded_loops\n {2}yes {2}isa_v2\n/,
    );
  });
});

describeKernel('map flag probes', () => {
  it('tell flags a map type takes from flags it refuses, with the reason', () => {
    expect(probeMapFlag(BpfMapType.HASH, BpfMapCreateFlag.NO_PREALLOC)).toEqual({ supported: true });
    expect(probeMapFlag(BpfMapType.ARRAY, BpfMapCreateFlag.MMAPABLE)).toEqual({ supported: true });
    expect(probeMapFlag(BpfMapType.ARRAY, BpfMapCreateFlag.RDONLY_PROG)).toEqual({ supported: true });
    // an array is always preallocated; a hash cannot be mapped into memory
    expect(probeMapFlag(BpfMapType.ARRAY, BpfMapCreateFlag.NO_PREALLOC)).toEqual({
      supported: false,
      reason: 'EINVAL',
    });
    expect(probeMapFlag(BpfMapType.HASH, BpfMapCreateFlag.MMAPABLE)).toEqual({
      supported: false,
      reason: 'EINVAL',
    });
    // the flags of a type's own probe map are kept: an LPM trie needs NO_PREALLOC
    expect(probeMapFlag(BpfMapType.LPM_TRIE, BpfMapCreateFlag.RDONLY_PROG)).toEqual({ supported: true });
    expect(probeMapFlag(200, BpfMapCreateFlag.NO_PREALLOC)).toEqual({
      supported: false,
      reason: 'map type unsupported (EINVAL)',
    });
  });

  it('refuse flags they cannot probe before asking the kernel', () => {
    expect(() => probeMapFlag(BpfMapType.HASH, 0)).toThrow(BpfArgumentError);
    expect(() => probeMapFlag(BpfMapType.HASH, -1)).toThrow(/flag/);
    expect(() => probeMapFlag(BpfMapType.HASH, BpfMapCreateFlag.TOKEN_FD)).toThrow(/needs an fd/);
    expect(() => probeMapFlag(BpfMapType.STRUCT_OPS, BpfMapCreateFlag.NO_PREALLOC)).toThrow(/struct_ops/);
  });
});
