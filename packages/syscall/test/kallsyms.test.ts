import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KallsymsError, KernelSymbolTable, kernelSymbolExists, syscallWrapperPrefix } from '../src/index.js';

/** This machine's /proc/kallsyms, split the plain way: name → the lines naming it. */
function plainLines(): { address: bigint; type: string; name: string; module: string | undefined }[] {
  return readFileSync('/proc/kallsyms', 'latin1')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [head, module] = l.split('\t');
      const [address, type, name] = head!.split(' ');
      return { address: BigInt(`0x${address}`), type: type!, name: name!, module: module?.slice(1, -1) };
    });
}

describe('the kernel symbol table (/proc/kallsyms of this machine)', () => {
  const lines = plainLines();
  const table = KernelSymbolTable.read();
  const line = (name: string) => lines.find((l) => l.name === name)!;

  it('gives the address of bpf_prog_load and __sys_bpf, and nothing for a made-up name', () => {
    expect(table.hidden).toBe(false);
    for (const name of ['bpf_prog_load', '__sys_bpf']) {
      expect(table.has(name)).toBe(true);
      expect(table.address(name)).toBe(line(name).address);
      expect(kernelSymbolExists(name)).toBe(true);
    }
    expect(table.has('ts_ebpf_no_such_symbol')).toBe(false);
    expect(table.address('ts_ebpf_no_such_symbol')).toBeUndefined();
    expect(kernelSymbolExists('ts_ebpf_no_such_symbol')).toBe(false);
    // a prefix of a name is not the name
    expect(kernelSymbolExists('__sys_bp')).toBe(false);
  });

  it('finds the first and the last line of the file (no line lost between read chunks or at the end)', () => {
    const last = lines.at(-1)!.name;
    const first = lines[0]!.name;
    expect(kernelSymbolExists(first)).toBe(true);
    expect(kernelSymbolExists(last)).toBe(true);
    expect(table.has(last)).toBe(true);
  });

  it('maps an address inside a function back to the function, with the offset', () => {
    const start = line('__sys_bpf').address;
    expect(table.symbolAt(start + 1n)).toMatchObject({ name: '__sys_bpf', offset: 1n, address: start });
    expect(table.symbolAt(start)).toMatchObject({
      name: '__sys_bpf',
      offset: 0n,
      type: 't',
      module: undefined,
    });
    const load = line('bpf_prog_load');
    expect(table.symbolAt(load.address + 16n)?.name).toBe('bpf_prog_load');
    expect(table.symbolAt(0n)).toBeUndefined();
  });

  it('names the module of a module symbol', () => {
    const inModule = lines.find((l) => l.module !== undefined && l.address !== 0n);
    if (!inModule) return; // a kernel with nothing in modules
    const found = table.symbolAt(inModule.address);
    expect(found?.module).toBe(inModule.module);
    expect(found?.address).toBe(inModule.address);
  });

  it('refuses addresses from a table that hides them, and a name with several', () => {
    const hidden = new KernelSymbolTable('0000000000000000 T a\n0000000000000000 t b\n');
    expect(hidden.hidden).toBe(true);
    expect(hidden.symbolAt(0n)).toBeUndefined();
    expect(() => hidden.address('a')).toThrow(KallsymsError);
    const twice = new KernelSymbolTable('0000000000001000 t dup\n0000000000002000 t dup\t[mod]\n');
    const e = (() => {
      try {
        twice.address('dup');
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(e).toBeInstanceOf(KallsymsError);
    expect(e).toMatchObject({ symbol: 'dup' });
    expect((e as Error).message).toContain('at 2 addresses');
    expect(twice.symbolAt(0x2001n)).toMatchObject({ name: 'dup', module: 'mod', offset: 1n });
  });
});

describe('syscallWrapperPrefix', () => {
  it("names each architecture's entry-point prefix, and this kernel lists its bpf() entry under it", () => {
    expect(syscallWrapperPrefix('x64')).toBe('__x64_sys_');
    expect(syscallWrapperPrefix('arm64')).toBe('__arm64_sys_');
    expect(syscallWrapperPrefix('riscv64')).toBe('__riscv_sys_');
    expect(syscallWrapperPrefix('ppc64')).toBe('__powerpc_sys_');
    expect(syscallWrapperPrefix('mipsel')).toBe('__mips_sys_');
    expect(syscallWrapperPrefix('wasm32')).toBeUndefined();
    const prefix = syscallWrapperPrefix();
    expect(prefix).toBeDefined();
    expect(kernelSymbolExists(`${prefix}bpf`)).toBe(true);
  });
});
