import { Btf, BtfError, type BtfTypeSpec, dumpC, writeBtf } from '@ts-ebpf/btf';
import { kernelBtf, LoadedBtf, loadBtf, loadKernelBtf } from '@ts-ebpf/btf/kernel';
import { BpfSyscallError, ObjectClosedError } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { sampleBuilder } from './sample.js';

describeKernel('loading BTF into the kernel', () => {
  it('the kernel accepts built BTF of every kind', () => {
    const handle = loadBtf(sampleBuilder());
    try {
      expect(handle).toBeInstanceOf(LoadedBtf);
      expect(handle.fd).toBeGreaterThan(2);
      expect(handle.closed).toBe(false);
    } finally {
      handle.close();
    }
    expect(handle.closed).toBe(true);
    expect(() => handle.fd).toThrow(ObjectClosedError);
    handle.close();
  });

  it('accepts parsed BTF; BTF in the other byte order is refused before the kernel is asked', () => {
    {
      using h = loadBtf(sampleBuilder().build());
      expect(h.fd).toBeGreaterThan(2);
    }
    const other = HOST_BYTE_ORDER === 'little' ? 'big' : 'little';
    const bytes = sampleBuilder().toBytes({ byteOrder: other });
    for (const source of [bytes, Btf.parse(bytes)]) {
      expect(() => loadBtf(source).close()).toThrow(BtfError);
      expect(() => loadBtf(source).close()).toThrow(`${other}-endian`);
    }
  });

  // well-formed bytes the kernel refuses: a member placed past the end of its struct (written
  // with writeBtf, as given: the builder refuses such a member before the kernel is asked)
  const refusedTypes = (): BtfTypeSpec[] => [
    { kind: 'int', name: 'int', size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    {
      kind: 'struct',
      name: 's',
      size: 4,
      members: [{ name: 'a', type: 1, bitOffset: 64, bitfieldSize: 0 }],
    },
  ];
  const refusal =
    /\[2\] STRUCT s size=4 vlen=1, a type_id=1 bits_offset=64 Member bits_offset exceeds its struct size/;

  it('reports the kernel log for invalid BTF, its reason in the message', () => {
    const types = refusedTypes();
    let err: unknown;
    try {
      loadBtf(writeBtf(types), { logLevel: 1 }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfSyscallError);
    expect((err as BpfSyscallError).code).toBe('EINVAL');
    expect((err as BpfSyscallError).log).toMatch(/type_id|Invalid/i);
    // the type and the member the kernel stopped at, and why
    expect((err as Error).message).toMatch(refusal);
    expect((err as Error).cause).toBeInstanceOf(BpfSyscallError);
  });

  it('logSize 0: refused BTF is loaded again with a log, as libbpf does, and the error says why', () => {
    let err: unknown;
    try {
      loadBtf(writeBtf(refusedTypes()), { logSize: 0 }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfSyscallError);
    const e = err as BpfSyscallError;
    expect(e.code).toBe('EINVAL');
    expect(e.message).toMatch(refusal);
    expect(e.message).toContain('(loaded again with a log: logSize 0 asked for none)');
    expect(e.log).toMatch(/Member bits_offset exceeds its struct size/);
    // the cause is the first load's refusal, which had no log
    expect(e.cause).toBeInstanceOf(BpfSyscallError);
    expect([(e.cause as BpfSyscallError).code, (e.cause as BpfSyscallError).log ?? '']).toEqual([
      'EINVAL',
      '',
    ]);
    // BTF the kernel takes is loaded once, without a log
    using loaded = loadBtf(sampleBuilder(), { logSize: 0 });
    expect(loaded.fd).toBeGreaterThan(2);
  });
});

it('loadKernelBtf reads this machine’s vmlinux BTF', () => {
  const btf = loadKernelBtf();
  expect(btf.get('task_struct', 'struct').size).toBeGreaterThan(1000);
  expect(dumpC(btf, [btf.get('iphdr', 'struct').id])).toContain('struct iphdr {');
});

it('kernelBtf parses vmlinux once and shares it', () => {
  // identity compared as booleans: a matcher given the objects would format ~100k types
  const btf = kernelBtf();
  expect(kernelBtf() === btf).toBe(true);
  const fresh = loadKernelBtf();
  expect(fresh === btf).toBe(false);
  expect(btf.typeCount).toBe(fresh.typeCount);
});
