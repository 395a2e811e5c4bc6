import { BtfError } from '@ts-ebpf/btf';
import { loadBtf } from '@ts-ebpf/btf/kernel';
import { bpf } from '@ts-ebpf/dsl';
import { BpfProgType } from '@ts-ebpf/syscall';
import {
  describeKernel,
  hostCode,
  leakedFds,
  openFds,
  programDebugInfo,
  thrownBy,
} from '@ts-ebpf/test-utils';
import { expect, it, vi } from 'vitest';
import { Program, VerifierError } from '../src/index.js';

// Reading the program's BTF back (to name the failing instruction's C source) works on every
// kernel and BTF this machine has: it fails where the kernel accepts BTF this library cannot read
// (a newer kernel's BTF kind, say). That failure is brought about by replacing the one reader
// of a loaded BTF object in this file (it reads the real BTF unless failLookup is set); the load
// and the verifier's refusal are the kernel's.
const unreadable = new BtfError('type 3 has unknown kind 20', 40);
let failLookup = false;
vi.mock('@ts-ebpf/btf/kernel', async (importOriginal) => {
  const real = await importOriginal<typeof import('@ts-ebpf/btf/kernel')>();
  return {
    ...real,
    readBtfObject: (fd: number) => {
      if (failLookup) throw unreadable;
      return real.readBtfObject(fd);
    },
  };
});

// Reads past the end of struct xdp_md at instruction 1.
const OOB = bpf`
  r0 = 0
  r0 = *(u32 *)(r1 + 4096)
  exit`;

describeKernel('VerifierError of a program loaded as bytes', () => {
  it('disassembles the failing instruction', () => {
    const e = thrownBy(() =>
      Program.load({ type: BpfProgType.XDP, instructions: hostCode(OOB), name: 'oob' }),
    );
    expect(e).toBeInstanceOf(VerifierError);
    const v = e as VerifierError;
    expect(v.instruction).toEqual({ slot: 1, index: 1, text: 'r0 = *(u32 *)(r1 + 4096)' });
    expect(v.message.split('\n')[0]).toBe(
      `verifier rejected program 'oob' at instruction 1 [r0 = *(u32 *)(r1 + 4096)]: ${v.errorLine}`,
    );
  });

  it('with func_info and line_info: names the function and the source line of the failing instruction', () => {
    const lines = ['int main(struct xdp_md *ctx) {', '    return ctx->pad[1020];', '}'];
    const { btf: blob, funcInfo, lineInfo } = programDebugInfo('main', lines);
    const before = openFds();
    {
      using btf = loadBtf(blob);
      const e = thrownBy(() =>
        Program.load({
          type: BpfProgType.XDP,
          instructions: hostCode(OOB),
          name: 'oob',
          btfFd: btf.fd,
          funcInfo,
          lineInfo,
        }),
      );
      expect(e).toBeInstanceOf(VerifierError);
      const v = e as VerifierError;
      // programDebugInfo: line k + 1 of 'prog.c', column 1, at instruction k
      expect(v.instruction).toEqual({
        slot: 1,
        index: 1,
        text: 'r0 = *(u32 *)(r1 + 4096)',
        function: 'main',
        functionOffset: 1,
        source: { file: 'prog.c', line: 2, column: 1, sourceLine: '    return ctx->pad[1020];' },
      });
      expect(v.message.split('\n')[0]).toBe(
        `verifier rejected program 'oob' at instruction 1 [main+1: r0 = *(u32 *)(r1 + 4096)] from prog.c:2:1 \`return ctx->pad[1020];\`: ${v.errorLine}`,
      );
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('takes the nearest line_info record at or before the instruction; an empty line names no text', () => {
    const { btf: blob, funcInfo, lineInfo } = programDebugInfo('main', ['']);
    using btf = loadBtf(blob);
    const e = thrownBy(() =>
      Program.load({
        type: BpfProgType.XDP,
        instructions: hostCode(OOB),
        btfFd: btf.fd,
        funcInfo,
        lineInfo,
      }),
    ) as VerifierError;
    expect(e.instruction?.source).toEqual({ file: 'prog.c', line: 1, column: 1, sourceLine: '' });
    expect(e.message.split('\n')[0]).toBe(
      `verifier rejected the program at instruction 1 [main+1: r0 = *(u32 *)(r1 + 4096)] from prog.c:1:1: ${e.errorLine}`,
    );
  });
});

/** Loads OOB with func_info and line_info, reading the BTF back failing when `fail`; its error. */
function refused(fail: boolean): VerifierError {
  const debug = programDebugInfo('main', ['int main(void) {', '  return bad;', '}']);
  using btf = loadBtf(debug.btf);
  const options = { type: BpfProgType.XDP, instructions: hostCode(OOB), name: 'oob', btfFd: btf.fd };
  failLookup = fail;
  try {
    const e = thrownBy(() =>
      Program.load({ ...options, funcInfo: debug.funcInfo, lineInfo: debug.lineInfo }),
    );
    expect(e).toBeInstanceOf(VerifierError);
    return e as VerifierError;
  } finally {
    failLookup = false;
  }
}

describeKernel('a VerifierError whose C source lookup fails', () => {
  it('is still the VerifierError, with the log and the instruction, and the lookup failure attached', () => {
    const before = openFds();
    const v = refused(true);
    expect(v.errorLine).toBe('invalid bpf_context access off=4096 size=4');
    expect(v.log).toContain(v.errorLine);
    expect(v.code).toBe('EACCES');
    expect(v.instruction).toEqual({ slot: 1, index: 1, text: 'r0 = *(u32 *)(r1 + 4096)' });
    expect(v.sourceLookupError).toBe(unreadable);
    const lines = v.message.split('\n');
    expect(lines[0]).toBe(
      `verifier rejected program 'oob' at instruction 1 [r0 = *(u32 *)(r1 + 4096)]: ${v.errorLine}`,
    );
    expect(lines.at(-1)).toBe(
      "(the instruction's C source could not be looked up: type 3 has unknown kind 20 (at byte offset 40))",
    );
    expect(leakedFds(before)).toEqual([]);
  });

  it('has no lookup failure when the lookup works', () => {
    const v = refused(false);
    expect(v.sourceLookupError).toBeUndefined();
    expect(v.instruction?.source?.sourceLine).toBe('  return bad;');
    expect(v.message).not.toContain('could not be looked up');
  });
});
