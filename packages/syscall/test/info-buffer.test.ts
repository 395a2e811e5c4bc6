import { readFileSync } from 'node:fs';
import { bpf } from '@ts-ebpf/dsl';
import { describeKernel, hostCode, programDebugInfo, returns } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  BpfArgumentError,
  BpfMapType,
  BpfProgType,
  BpfSyscallError,
  btfGetFdById,
  btfGetNextId,
  btfInfo,
  btfLoad,
  close,
  infoBuffer,
  mapCreate,
  progInfo,
  progLoad,
} from '../src/index.js';

describeKernel('infoBuffer', () => {
  it('copies a program’s translated instructions and reports their size', () => {
    const insns = hostCode(bpf`r0 = 7; r1 = 1; r0 += r1; exit`);
    const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns });
    try {
      const { xlatedProgLen, jitedProgLen } = progInfo(prog);
      expect(xlatedProgLen).toBe(insns.byteLength);
      // Into a subarray at an offset: the bytes around it stay untouched.
      const outer = new Uint8Array(xlatedProgLen + 16).fill(0xee);
      const into = outer.subarray(8, 8 + xlatedProgLen);
      expect(infoBuffer(prog, 'progXlatedInsns', into)).toEqual({
        byteLength: xlatedProgLen,
        withheld: false,
      });
      expect(into).toEqual(insns);
      expect([...outer.subarray(0, 8), ...outer.subarray(8 + xlatedProgLen)]).toEqual(
        new Array(16).fill(0xee),
      );
      // A query with no room reports the size alone; a short buffer gets the first bytes.
      expect(infoBuffer(prog, 'progXlatedInsns', new Uint8Array(0)).byteLength).toBe(xlatedProgLen);
      const short = new Uint8Array(8);
      expect(infoBuffer(prog, 'progXlatedInsns', short).byteLength).toBe(xlatedProgLen);
      expect(short).toEqual(insns.subarray(0, 8));
      if (jitedProgLen > 0) {
        const image = new Uint8Array(jitedProgLen);
        expect(infoBuffer(prog, 'progJitedInsns', image).byteLength).toBe(jitedProgLen);
        expect(image.some((b) => b !== 0)).toBe(true);
      }
    } finally {
      close(prog);
    }
  });

  it('copies a program’s map ids as 4-byte elements', () => {
    const map = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const prog = progLoad({
      progType: BpfProgType.SOCKET_FILTER,
      insns: hostCode(bpf`r1 = map[fd:${map}]; r0 = 0; exit`),
    });
    try {
      expect(progInfo(prog).mapIds).toHaveLength(1);
      const ids = new Uint32Array(2);
      expect(infoBuffer(prog, 'progMapIds', new Uint8Array(ids.buffer))).toEqual({
        byteLength: 4,
        withheld: false,
      });
      expect(ids[0]).toBe(progInfo(prog).mapIds[0]);
      expect(() => infoBuffer(prog, 'progMapIds', new Uint8Array(6))).toThrow(BpfArgumentError);
      expect(() => infoBuffer(prog, 'progMapIds', new Uint8Array(6))).toThrow(/progMapIds.*4-byte/);
    } finally {
      close(prog);
      close(map);
    }
  });

  it('copies a JIT-compiled program’s function addresses, each a bpf_prog_<tag>_<name> symbol', () => {
    const prog = progLoad({
      progType: BpfProgType.SOCKET_FILTER,
      insns: returns(0),
      progName: 'ksyms_probe',
    });
    try {
      const { tag, jitedProgLen } = progInfo(prog);
      // One function (no subprograms): the kernel counts one address.
      expect(infoBuffer(prog, 'progJitedKsyms', new Uint8Array(0)).byteLength).toBe(8);
      const addresses = new BigUint64Array(1);
      const got = infoBuffer(prog, 'progJitedKsyms', new Uint8Array(addresses.buffer));
      expect(got.byteLength).toBe(8);
      if (jitedProgLen === 0 || got.withheld) return;
      const line = readFileSync('/proc/kallsyms', 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${addresses[0]!.toString(16).padStart(16, '0')} `));
      expect(line).toMatch(new RegExp(`\\sbpf_prog_${tag}_ksyms_probe(\\s|$)`));
      expect(() => infoBuffer(prog, 'progJitedKsyms', new Uint8Array(4))).toThrow(/progJitedKsyms.*8-byte/);
    } finally {
      close(prog);
    }
  });

  it('copies the length of each JIT-compiled function: one function, as long as the whole image', () => {
    const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: returns(0) });
    try {
      expect(infoBuffer(prog, 'progJitedFuncLens', new Uint8Array(0)).byteLength).toBe(4);
      const lengths = new Uint32Array(1);
      expect(infoBuffer(prog, 'progJitedFuncLens', new Uint8Array(lengths.buffer))).toEqual({
        byteLength: 4,
        withheld: false,
      });
      expect(lengths[0]).toBe(progInfo(prog).jitedProgLen);
      expect(lengths[0]).toBeGreaterThan(0);
      expect(() => infoBuffer(prog, 'progJitedFuncLens', new Uint8Array(2))).toThrow(
        /progJitedFuncLens.*4-byte/,
      );
    } finally {
      close(prog);
    }
  });

  it('copies a program’s func_info and line_info records, asking in the kernel’s record sizes', () => {
    const { btf: blob, funcInfo, lineInfo } = programDebugInfo('main', ['return 0;', 'return 0;']);
    const btf = btfLoad({ btf: blob, logSize: 0 });
    const prog = progLoad({
      progType: BpfProgType.SOCKET_FILTER,
      insns: hostCode(bpf`r0 = 0; exit`),
      progBtfFd: btf,
      funcInfo,
      lineInfo,
    });
    try {
      expect(infoBuffer(prog, 'progFuncInfo', new Uint8Array(0)).byteLength).toBe(8);
      const funcs = new Uint8Array(8);
      expect(infoBuffer(prog, 'progFuncInfo', funcs)).toEqual({ byteLength: 8, withheld: false });
      expect(funcs).toEqual(funcInfo);
      expect(infoBuffer(prog, 'progLineInfo', new Uint8Array(0)).byteLength).toBe(32);
      const lines = new Uint8Array(32);
      expect(infoBuffer(prog, 'progLineInfo', lines)).toEqual({ byteLength: 32, withheld: false });
      expect(lines).toEqual(lineInfo);
      expect(() => infoBuffer(prog, 'progLineInfo', new Uint8Array(8))).toThrow(/progLineInfo.*16-byte/);
    } finally {
      close(prog);
      close(btf);
    }
  });

  it('copies the vmlinux BTF blob, byte for byte as /sys/kernel/btf/vmlinux', () => {
    const vmlinux = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
    let id = btfGetNextId(0);
    let fd = -1;
    while (id !== null) {
      fd = btfGetFdById(id);
      if (btfInfo(fd).name === 'vmlinux') break;
      close(fd);
      fd = -1;
      id = btfGetNextId(id);
    }
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      const bytes = new Uint8Array(btfInfo(fd).btfSize);
      expect(infoBuffer(fd, 'btfData', bytes)).toEqual({ byteLength: vmlinux.byteLength, withheld: false });
      expect(Buffer.from(bytes).equals(vmlinux)).toBe(true);
    } finally {
      close(fd);
    }
  });

  it('passes on the kernel’s refusal of a closed fd', () => {
    const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: returns(0) });
    close(prog);
    expect(() => infoBuffer(prog, 'progXlatedInsns', new Uint8Array(8))).toThrow(BpfSyscallError);
  });
});
