import { describeKernel, openFds } from '@ts-ebpf/test-utils';
import { Errno } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { closeFds } from '../src/close-together.js';
import { sysCloseRangeTry, sysFcntlTry } from '../src/ffi/files.js';
import {
  BpfArgumentError,
  BpfMapType,
  BpfSyscallError,
  type ClosesLater,
  closeLater,
  closeOwned,
  closeTogether,
  mapCreate,
  OwnedFd,
} from '../src/index.js';

const newMap = () => mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
const isOpen = (fd: number) => openFds().has(fd);
const F_DUPFD_CLOEXEC = 1030;

/** `n` descriptors of one new map numbered in a row, above every open one. */
function inARow(n: number): number[] {
  const map = newMap();
  const base = Math.max(...openFds().keys()) + 100;
  const fds = Array.from({ length: n }, (_, i) => sysFcntlTry(map, F_DUPFD_CLOEXEC, base + i));
  closeFds([map], () => 0);
  expect(fds).toEqual(Array.from({ length: n }, (_, i) => base + i));
  return fds;
}

/** A `range` that records its runs and closes them with close_range. */
function recordingRange(calls: [number, number][]) {
  return (first: number, last: number) => {
    calls.push([first, last]);
    return sysCloseRangeTry(first, last);
  };
}

describeKernel('closing descriptors together', () => {
  it('closeOwned closes every open descriptor, in runs and alone, and skips closed ones', () => {
    // numbers n..n+6: #3 closed before, #5 given away (release), so runs n..n+2, n+4 and n+6
    const owned = inARow(7).map((fd) => new OwnedFd(fd, 'map'));
    owned[3]!.close();
    const given = owned[5]!.release();
    const numbers = owned.filter((o) => !o.closed).map((o) => o.fd);
    expect(numbers.every(isOpen)).toBe(true);
    closeOwned([...owned].reverse());
    expect(owned.every((o) => o.closed)).toBe(true);
    expect(numbers.filter(isOpen)).toEqual([]);
    // the number given away was not its to close
    expect(isOpen(given)).toBe(true);
    closeOwned([new OwnedFd(given)]);
    expect(isOpen(given)).toBe(false);
    // again: nothing left to close, nothing thrown
    closeOwned(owned);
  });

  it('a run is closed by one close_range, a number alone by close', () => {
    const alone = newMap();
    const run = inARow(3);
    const calls: [number, number][] = [];
    closeFds([run[2]!, alone, run[0]!, run[1]!], recordingRange(calls));
    expect(calls).toEqual([[run[0], run[2]]]);
    expect([alone, ...run].filter(isOpen)).toEqual([]);
  });

  it('a run the kernel refuses to close_range is closed one by one', () => {
    for (const errno of [Errno.ENOSYS, Errno.EPERM]) {
      const run = inARow(3);
      const calls: [number, number][] = [];
      closeFds([...run], (first, last) => {
        calls.push([first, last]);
        return -errno;
      });
      expect(calls).toEqual([[run[0], run[2]]]);
      expect(run.filter(isOpen)).toEqual([]);
    }
  });

  it('another close_range failure, or a throw, still closes the run, then is reported', () => {
    const run = inARow(2);
    expect(() => closeFds([...run], () => -Errno.EINVAL)).toThrow(/close_range.*EINVAL/);
    expect(run.filter(isOpen)).toEqual([]);
    const next = inARow(2);
    expect(() =>
      closeFds([...next], () => {
        throw new Error('range broke');
      }),
    ).toThrow('range broke');
    expect(next.filter(isOpen)).toEqual([]);
  });

  it('a number given twice is closed once and reported; one that is not open is reported', () => {
    const run = inARow(2);
    const calls: [number, number][] = [];
    expect(() => closeFds([run[0]!, run[1]!, run[0]!], recordingRange(calls))).toThrow(BpfArgumentError);
    expect(calls).toEqual([]);
    expect(run.filter(isOpen)).toEqual([]);
    const notOpen = Math.max(...openFds().keys()) + 1000;
    expect(() => closeFds([notOpen], () => 0)).toThrow(BpfSyscallError);
  });

  it('closeTogether closes every object, those with closeLater by their descriptor', () => {
    const order: string[] = [];
    const later = (fd: OwnedFd): ClosesLater & { close(): void } => ({
      close: () => order.push('close() of a closeLater object'),
      [closeLater]: () => {
        order.push('closeLater');
        return fd.closed ? undefined : fd.release();
      },
    });
    const [first, second] = inARow(2).map((fd) => new OwnedFd(fd));
    const numbers = [first!.fd, second!.fd];
    const failing = {
      close: () => {
        order.push('failing close');
        throw new Error('first failure');
      },
    };
    const plain = { close: () => order.push('plain close') };
    expect(() => closeTogether([later(first!), failing, plain, later(second!), later(first!)])).toThrow(
      'first failure',
    );
    expect(order).toEqual(['closeLater', 'failing close', 'plain close', 'closeLater', 'closeLater']);
    expect(first!.closed && second!.closed).toBe(true);
    expect(numbers.filter(isOpen)).toEqual([]);
  });
});
