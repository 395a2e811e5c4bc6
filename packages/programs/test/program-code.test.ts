import { readFileSync } from 'node:fs';
import { loadBtf } from '@ts-ebpf/btf/kernel';
import {
  add,
  assemble,
  bpf,
  callLocal,
  disassemble,
  exit,
  LD_IMM64,
  ldMapFd,
  mark,
  mov,
  PseudoCall,
  PseudoLd,
  program,
  R0,
  R1,
} from '@ts-ebpf/dsl';
import { HashMap, u32 } from '@ts-ebpf/maps';
import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, hostCode, leakedFds, openFds, programDebugInfo } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { Program } from '../src/index.js';

/** The kernel symbol at `address` in /proc/kallsyms, if listed. */
function symbolAt(address: bigint): string | undefined {
  const hex = address.toString(16).padStart(16, '0');
  const line = readFileSync('/proc/kallsyms', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${hex} `));
  return line?.split(/\s+/)[2];
}

describeKernel('a loaded program’s code and debug info', () => {
  it('instructions(): the loaded dsl code, with the map reference carrying the map’s id', () => {
    const before = openFds();
    {
      using m = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
      const loaded = program(mov(R0, 0), ldMapFd(R1, { fd: m.fd }), add(R0, 2), exit());
      using p = Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: loaded, name: 'xl_map' });
      // What the kernel hands out: the same instructions, except that a map reference's imm (its
      // fd at load) is the map's id (linux/kernel/bpf/syscall.c bpf_insn_prepare_dump)
      const mapId = m.info().id;
      const expected = disassemble(assemble(loaded)).map((i) =>
        i.code === LD_IMM64 && i.src === PseudoLd.MAP_FD ? { ...i, imm: mapId } : i,
      );
      expect(p.instructions()).toEqual(expected);
      expect(p.instructions()[1]).toMatchObject({ code: LD_IMM64, src: PseudoLd.MAP_FD, imm: mapId });
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('jitedCode(): the bytes and one function per subprogram, each at its kernel symbol', () => {
    const before = openFds();
    {
      const loaded = program(callLocal('f1'), exit(), mark('f1'), mov(R0, 1), exit());
      using p = Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: loaded, name: 'xl_sub' });
      const { bytes, functions } = p.jitedCode();
      expect(functions).toHaveLength(2);
      expect(bytes.byteLength).toBe(p.info().jitedProgLen);
      expect(functions[0]!.offset).toBe(0);
      expect(functions[1]!.offset).toBe(functions[0]!.length);
      expect(functions[0]!.length + functions[1]!.length).toBe(bytes.byteLength);
      for (const f of functions) {
        expect(f.address).not.toBe(0n);
        expect(f.length).toBeGreaterThan(0);
      }
      expect(new Set(functions.map((f) => f.address)).size).toBe(2);
      expect(p.jitedFunctions()).toEqual(functions);
      // the kernel lists each function as bpf_prog_<tag>_<name> (kallsyms for bpf programs on)
      const tag = p.info().tag;
      expect(symbolAt(functions[0]!.address)).toBe(`bpf_prog_${tag}_xl_sub`);
      expect(symbolAt(functions[1]!.address)).toMatch(/^bpf_prog_[0-9a-f]{16}_/);
      // the translated call names the subprogram by its index in these functions
      const call = p.instructions()[0]!;
      expect(call).toMatchObject({ src: PseudoCall.CALL, imm: 1 });
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('lineInfo(), funcInfo() and btf(): the records of the load, decoded with the program’s BTF', () => {
    const lines = ['int main(void) {', '    return 2;', '}'];
    const { btf: blob, funcInfo, lineInfo } = programDebugInfo('main', lines);
    const before = openFds();
    {
      using btf = loadBtf(blob);
      using p = Program.load({
        type: BpfProgType.SOCKET_FILTER,
        instructions: hostCode(bpf`
          r0 = 1
          r0 += 1
          exit`),
        btfFd: btf.fd,
        funcInfo,
        lineInfo,
      });
      expect(p.btf()?.nameOf(3)).toBe('main');
      expect(p.funcInfo()).toEqual([{ instruction: 0, name: 'main', typeId: 3 }]);
      // programDebugInfo: line k + 1 of 'prog.c', column 1, at instruction k
      expect(p.lineInfo()).toEqual(
        lines.map((sourceLine, k) => ({
          instruction: k,
          file: 'prog.c',
          line: k + 1,
          column: 1,
          sourceLine,
        })),
      );
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('a program loaded without BTF has no BTF, functions or lines', () => {
    using p = Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: program(mov(R0, 0), exit()) });
    expect(p.btf()).toBeUndefined();
    expect(p.funcInfo()).toEqual([]);
    expect(p.lineInfo()).toEqual([]);
    expect(p.jitedFunctions()).toHaveLength(1);
  });
});
