// Translated instructions are printed in the kernel's own syntax: the verifier of this kernel
// prints each instruction it checks, and `kernelSyntax` must print the same text.
import { disassemble, JmpOp, LD_IMM64, PseudoLd, parse } from '@ts-ebpf/dsl';
import { BpfMapType, BpfProgType, close, mapCreate, progLoad } from '@ts-ebpf/syscall';
import { describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { kernelSyntax } from '../src/kernel-syntax.js';
import { cpuV4 } from './insn-kinds.js';

describeKernel('kernelSyntax', () => {
  it('prints each instruction as this kernel’s verifier log does', () => {
    const jumps = mapCreate({ mapType: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    try {
      const insns = hostCode(parse(cpuV4(jumps)));
      const log = new Uint8Array(1 << 20);
      close(
        progLoad({ progType: BpfProgType.SOCKET_FILTER, insns, license: 'GPL', logLevel: 2, logBuf: log }),
      );
      // `12: (bf) r2 = r1`, then the registers after `;` when they changed
      const logged = new Map<number, string>();
      for (const line of new TextDecoder().decode(log.subarray(0, log.indexOf(0))).split('\n')) {
        const m = /^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+;.*)?$/.exec(line);
        if (m) logged.set(Number(m[1]), `(${m[2]}) ${m[3]}`);
      }
      const ours = new Map<number, string>();
      let pc = 0;
      for (const insn of disassemble(insns, { byteOrder: HOST_BYTE_ORDER })) {
        // calls are named by the caller; the log prints a map's address where xlated code has its id
        const isCall = (insn.code & 0xf0) === JmpOp.CALL && (insn.code & 0x07) === 5;
        const isMap = insn.code === LD_IMM64 && insn.src === PseudoLd.MAP_FD;
        if (!isCall && !isMap)
          ours.set(pc, `(${insn.code.toString(16).padStart(2, '0')}) ${kernelSyntax(insn)}`);
        pc += insn.code === LD_IMM64 ? 2 : 1;
      }
      const compared = [...ours].filter(([at]) => logged.has(at));
      expect(compared.length).toBeGreaterThan(35);
      // the v4 instructions are among them
      expect(compared.map(([, t]) => t)).toEqual(
        expect.arrayContaining([
          '(bf) r2 = (s8)r1',
          '(d7) r2 = bswap64 r2',
          '(91) r3 = *(s8 *)(r10 -8)',
          '(06) gotol pc+0',
        ]),
      );
      expect(compared.map(([at, text]) => `${at}: ${text}`)).toEqual(
        compared.map(([at]) => `${at}: ${logged.get(at)}`),
      );
    } finally {
      close(jumps);
    }
  });
});
