import { BtfBuilder, dumpC } from '@ts-ebpf/btf';
import { kernelBtf, LoadedBtf, loadBtf, loadKernelBtf } from '@ts-ebpf/btf/kernel';
import { BpfSyscallError, ObjectClosedError } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
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

  it('accepts parsed BTF and big-endian bytes are rejected with the log', () => {
    {
      using h = loadBtf(sampleBuilder().build());
      expect(h.fd).toBeGreaterThan(2);
    }
    let err: unknown;
    try {
      loadBtf(sampleBuilder().toBytes({ byteOrder: 'big' })).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfSyscallError);
  });

  it('reports the kernel log for invalid BTF', () => {
    const b = new BtfBuilder();
    // well-formed bytes the kernel refuses: a member placed past the end of its struct
    const int = b.int('int', 4, { signed: true });
    b.add({
      kind: 'struct',
      name: 's',
      size: 4,
      members: [{ name: 'a', type: int, bitOffset: 64, bitfieldSize: 0 }],
    });
    let err: unknown;
    try {
      loadBtf(b, { logLevel: 1 }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfSyscallError);
    expect((err as BpfSyscallError).code).toBe('EINVAL');
    expect((err as BpfSyscallError).log).toMatch(/type_id|Invalid/i);
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
