import { readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

/** What /proc/self/fd/`fd` names, or '' when the number is not open. */
function fdTarget(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
}

/** Makes an OwnedFd of a new array map and drops it: its fd number. */
function leakMap(): number {
  const owned = new OwnedFd(
    mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
    'leaked map',
  );
  return owned.fd;
}

describeKernel('the garbage collector closes a forgotten OwnedFd', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const collected = async (fd: number) => {
    for (let i = 0; i < 20 && fdTarget(fd) === 'anon_inode:bpf-map'; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return fdTarget(fd) !== 'anon_inode:bpf-map';
  };

  it('after the job that opened it has ended', async () => {
    const fd = leakMap();
    expect(fdTarget(fd)).toBe('anon_inode:bpf-map');
    await Promise.resolve(); // the job ends: the open OwnedFd joins the registry
    expect(await collected(fd)).toBe(true);
  });

  it('when many descriptors are opened and closed in one job', async () => {
    const fd = leakMap();
    // More than two batches (REGISTER_BATCH, 1,024) pass through the waiting list in this job: the
    // first flush, before the job ends, must register the leaked map (still open) among the closed
    // copies it drops.
    for (let i = 0; i < 2500; i++) new OwnedFd(dupFd(0), 'stdin copy').close();
    expect(fdTarget(fd)).toBe('anon_inode:bpf-map');
    expect(await collected(fd)).toBe(true);
  });

  it('never closes a descriptor that was closed, or released, in time', async () => {
    const released = ((): number => {
      const owned = new OwnedFd(
        mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
      );
      return owned.release();
    })();
    let registered: OwnedFd | undefined = new OwnedFd(
      mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
    );
    await Promise.resolve(); // the open one is registered, the released one dropped
    const number = registered.fd;
    registered.close();
    registered = undefined;
    // A new map takes the lowest free number, the one just closed (unless another thread of this
    // process opens a file in between: the test then fails on `reused`, not silently): a stale
    // registration would close it.
    const reused = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reused).toBe(number);
    expect(fdTarget(reused)).toBe('anon_inode:bpf-map');
    expect(fdTarget(released)).toBe('anon_inode:bpf-map');
    close(released);
    close(reused);
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
