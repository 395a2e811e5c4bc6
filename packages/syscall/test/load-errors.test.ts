import { bpf } from '@ts-ebpf/dsl';
import { describeKernel, hostCode, thrownBy } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { BpfProgType, BpfSyscallError, btfLoad, progLoad } from '../src/index.js';

/** A BTF header (magic 0xeb9f, version 1, 24-byte header) with no types and no string section. */
function emptyBtf(): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  const le = isLittleEndian(HOST_BYTE_ORDER);
  v.setUint16(0, 0xeb9f, le);
  v.setUint8(2, 1);
  v.setUint32(4, 24, le);
  return b;
}

function thrown(fn: () => unknown): BpfSyscallError {
  const e = thrownBy(fn);
  expect(e).toBeInstanceOf(BpfSyscallError);
  return e as BpfSyscallError;
}

describeKernel('load rejections name their checker', () => {
  it('a malformed BTF blob is rejected by the BTF verifier, not "the verifier rejected the program"', () => {
    const e = thrown(() => btfLoad({ btf: emptyBtf() }));
    expect(e.code).toBe('EINVAL');
    expect(e.log).toMatch(/\S/);
    expect(e.message).toContain('the BTF verifier rejected the BTF data: read the log');
    expect(e.message).not.toMatch(/program/);
  });

  it('a program the verifier refuses still says so', () => {
    // r0 is read before it is written
    const e = thrown(() =>
      progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: hostCode(bpf`exit`), logLevel: 1 }),
    );
    expect(e.log).toMatch(/R0 !read_ok/);
    expect(e.message).toContain('the verifier rejected the program: read the log');
  });

  it('a refused program loaded without a log says how to get one', () => {
    const e = thrown(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: hostCode(bpf`exit`) }));
    expect(e.log).toBe('');
    expect(e.message).toContain('load it again with a log level (logLevel 1) for its reason');
  });
});
