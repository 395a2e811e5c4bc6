import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { lockdownMode } from '../src/errors.js';
import {
  BpfArgumentError,
  BpfMapType,
  BpfSyscallError,
  bpfSyscall,
  close,
  dupFd,
  InvalidArgumentError,
  mapCreate,
  mapInfo,
  ObjectClosedError,
  OwnedFd,
  syscallError,
  UnsupportedError,
} from '../src/index.js';

describeKernel('owned file descriptors and errors', () => {
  it('close is idempotent, use after close throws, and `using` closes', () => {
    const owned = new OwnedFd(
      mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
      'map',
    );
    const n = owned.fd;
    expect(mapInfo(n).type).toBe(BpfMapType.ARRAY);
    owned.close();
    owned.close();
    expect(owned.closed).toBe(true);
    expect(() => owned.fd).toThrow(ObjectClosedError);
    expect(() => owned.fd).toThrow('map is closed');
    let inner = -1;
    {
      using scoped = new OwnedFd(
        mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
      );
      inner = scoped.fd;
      expect(mapInfo(inner).maxEntries).toBe(1);
    }
    // closed: the number is free (EBADF) or already reused by something that is not a map
    expect(() => mapInfo(inner)).toThrow(BpfSyscallError);
  });

  it('release hands the number over without closing it', () => {
    const owned = new OwnedFd(
      mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }),
    );
    const n = owned.release();
    expect(owned.closed).toBe(true);
    expect(mapInfo(n).maxEntries).toBe(2);
    close(n);
  });

  it('the raw bpf() call validates its arguments and names the command in errors', () => {
    expect(() => bpfSyscall(-1, new Uint8Array(8))).toThrow(BpfArgumentError);
    expect(() => bpfSyscall(0, new Uint8Array(8), 9)).toThrow(BpfArgumentError);
    const attr = new Uint8Array(72); // BPF_MAP_CREATE with every field zero
    const err = (() => {
      try {
        bpfSyscall(0, attr);
      } catch (e) {
        return e as BpfSyscallError;
      }
    })();
    expect(err).toBeInstanceOf(BpfSyscallError);
    expect(err?.command).toBe('BPF_MAP_CREATE');
    expect(err?.code).toBe('EINVAL');
    expect(() => new OwnedFd(-1)).toThrow(BpfArgumentError);
  });

  it('hints say what the errno means for the command, and only what is true', () => {
    // this process holds CAP_BPF: EPERM is not a missing capability
    const eperm = syscallError(1, { syscall: 'bpf', command: 'BPF_MAP_CREATE' }).hint;
    expect(eperm).toMatch(/although the process holds CAP_BPF/);
    // lockdown is named only when the kernel says it is on
    if (lockdownMode() === null) expect(eperm).not.toMatch(/lockdown/);
    else expect(eperm).toContain(`lockdown mode '${lockdownMode()}'`);
    expect(syscallError(1, { syscall: 'bpf', command: 'BPF_MAP_UPDATE_ELEM' }).hint).toMatch(/read-only/);
    expect(syscallError(2, { syscall: 'bpf', command: 'BPF_OBJ_GET' }).hint).toMatch(/nothing is pinned/);
    expect(syscallError(12, { syscall: 'bpf', command: 'BPF_MAP_CREATE' }).hint).toMatch(/RLIMIT_MEMLOCK/);
    expect(syscallError(28, { syscall: 'bpf', command: 'BPF_PROG_LOAD' }).hint).toMatch(/logSize/);
    const einval = syscallError(22, { syscall: 'bpf', command: 'BPF_MAP_CREATE' });
    expect(einval).toBeInstanceOf(InvalidArgumentError);
    expect(einval.hint).toBe('the kernel refused an argument of BPF_MAP_CREATE as invalid');
    expect(syscallError(7, { syscall: 'bpf', command: 'BPF_MAP_CREATE' }).hint).not.toMatch(/too large/);
    expect(syscallError(7, { syscall: 'bpf', command: 'BPF_MAP_UPDATE_ELEM' }).hint).toMatch(/max_entries/);
    for (const errno of [95, 524]) {
      const e = syscallError(errno, { syscall: 'bpf', command: 'BPF_LINK_CREATE' });
      expect(e).toBeInstanceOf(UnsupportedError);
      expect(e).toBeInstanceOf(BpfSyscallError);
      expect(e).not.toBeInstanceOf(InvalidArgumentError);
      expect(e.hint).toBe('the kernel does not support BPF_LINK_CREATE for this object or type');
    }
    expect(syscallError(9999, { syscall: 'bpf' }).code).toBe('E9999');
    const cause = new Error('inner');
    expect(syscallError(9, { syscall: 'bpf' }, { cause }).cause).toBe(cause);
  });
});

describeKernel('dupFd', () => {
  it('duplicates a map fd that outlives the original', () => {
    const fd = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 });
    const copy = dupFd(fd);
    close(fd);
    expect(mapInfo(copy).maxEntries).toBe(3);
    close(copy);
    expect(() => dupFd(-1)).toThrow(BpfArgumentError);
  });
});
