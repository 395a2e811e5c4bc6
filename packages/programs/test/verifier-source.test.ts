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
import { expect, it } from 'vitest';
import { Program, VerifierError } from '../src/index.js';

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
