import { join } from 'node:path';
import { REFUSED, runWithoutNative } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const src = (name: string) => join(PACKAGES, name, 'src');
/** The pure packages: no FFI and no Node built-in anywhere in what their entries reach. */
const PURE = { noNodeIn: [src('uapi'), src('dsl'), src('btf')] };

function run(script: string, options = {}) {
  const r = runWithoutNative(script, options);
  return { ...r, output: `${r.stdout}\n${r.stderr}` };
}

describe('package entries import where koffi cannot load', () => {
  it('the harness refuses koffi and Node built-ins where told to (the checks below can fail)', () => {
    const koffi = run(`await import('koffi');`);
    expect(koffi.status).not.toBe(0);
    expect(koffi.output).toContain(REFUSED);
    // btf's kernel subpath reads /sys: it is refused in a child that forbids Node built-ins in btf
    const kernel = run(`await import('@ts-ebpf/btf/kernel');`, PURE);
    expect(kernel.status).not.toBe(0);
    expect(kernel.output).toMatch(/kernel-btf\.ts imports the Node built-in node:fs/);
  });

  it('uapi, dsl and the btf root import with no koffi and no Node built-in, and their pure APIs work', () => {
    const r = run(
      `
      import { EbpfError, HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
      import { assemble, disassemble, format, parse } from '@ts-ebpf/dsl';
      import { Btf, BtfBuilder, dumpC, sizeOf } from '@ts-ebpf/btf';
      const insns = parse('r0 = 42\\nexit');
      const bytes = assemble(insns);
      if (bytes.byteLength !== 16) throw new Error('assembled ' + bytes.byteLength + ' bytes');
      if (format(disassemble(bytes)) !== format(insns)) throw new Error('round trip differs');
      const b = new BtfBuilder();
      const int = b.int('int', 4, { signed: true });
      const point = b.struct('point', [{ name: 'x', type: int }, { name: 'y', type: int }]);
      for (const order of [true, false]) {
        const btf = Btf.parse(b.toBytes({ littleEndian: order }));
        if (sizeOf(btf, point) !== 8) throw new Error('sizeof(struct point) is not 8');
        if (!dumpC(btf).includes('struct point {')) throw new Error('dumpC lacks struct point');
      }
      if (!(new EbpfError('x') instanceof Error) || typeof isLittleEndian(HOST_BYTE_ORDER) !== 'boolean') throw new Error('uapi');
      console.log('pure ok');
      `,
      PURE,
    );
    expect(r.output).toContain('pure ok');
    expect(r.status).toBe(0);
  });

  it('syscall, maps, programs, elf and btf/kernel import without loading koffi', () => {
    const r = run(`
      const entries = ['@ts-ebpf/syscall', '@ts-ebpf/maps', '@ts-ebpf/programs', '@ts-ebpf/elf', '@ts-ebpf/btf/kernel'];
      for (const e of entries) {
        const m = await import(e);
        if (Object.keys(m).length === 0) throw new Error(e + ' exports nothing');
      }
      const { bpfCommandName, errnoName, syscallError, UnsupportedError } = await import('@ts-ebpf/syscall');
      if (bpfCommandName(0) !== 'BPF_MAP_CREATE' || errnoName(95) !== 'EOPNOTSUPP') throw new Error('pure syscall helpers');
      if (!(syscallError(524, { syscall: 'bpf' }) instanceof UnsupportedError)) throw new Error('errno model');
      console.log('imports ok');
    `);
    expect(r.output).toContain('imports ok');
    expect(r.status).toBe(0);
  });

  it('the first system call without koffi throws FfiUnavailableError with the loader error as cause', () => {
    const r = run(`
      const { FfiUnavailableError, getpid } = await import('@ts-ebpf/syscall');
      try {
        getpid();
        console.log('no error');
      } catch (e) {
        console.log(e instanceof FfiUnavailableError, e.message, String(e.cause?.message).includes('${REFUSED}'));
      }
    `);
    expect(r.output).toContain('true cannot load koffi');
    expect(r.output).toMatch(/ true\n/);
    expect(r.status).toBe(0);
  });
});
