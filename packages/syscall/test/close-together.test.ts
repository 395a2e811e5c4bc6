import { describeKernel, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { closeFds } from '../src/close-together.js';
import { sysCloseRangeTry, sysFcntlTry } from '../src/ffi.js';
import {
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

describeKernel('closing descriptors together', () => {
  it('closeOwned closes every open descriptor, in runs and alone, and skips closed ones', () => {
    const owned = Array.from({ length: 8 }, () => new OwnedFd(newMap(), 'map'));
    // a gap in the numbers (a run, a single one, a run), and one closed before
    owned[3]!.close();
    const gap = owned[5]!.release();
    const numbers = owned.filter((o) => !o.closed).map((o) => o.fd);
    expect(numbers.every(isOpen)).toBe(true);
    closeOwned([...owned].reverse());
    expect(owned.every((o) => o.closed)).toBe(true);
    expect(numbers.filter(isOpen)).toEqual([]);
    // the released number was not its to close
    expect(isOpen(gap)).toBe(true);
    closeOwned([new OwnedFd(gap)]);
    expect(isOpen(gap)).toBe(false);
    // again: nothing left to close, nothing thrown
    closeOwned(owned);
  });

  it('close_range closes a run of numbers', () => {
    const map = newMap();
    const fds = inARow(3);
    const base = fds[0]!;
    const calls: [number, number][] = [];
    closeFds([map, ...fds], (first, last) => {
      calls.push([first, last]);
      return sysCloseRangeTry(first, last);
    });
    expect(calls).toEqual([[base, base + 2]]);
    expect([map, ...fds].filter(isOpen)).toEqual([]);
  });

  it('a run the kernel refuses to close_range is closed one by one', () => {
    const run = inARow(3);
    const alone = newMap();
    const calls: [number, number][] = [];
    closeFds([alone, ...run], (first, last) => {
      calls.push([first, last]);
      return -38; // ENOSYS
    });
    expect(calls).toEqual([[run[0], run[2]]]);
    expect([alone, ...run].filter(isOpen)).toEqual([]);
    // close(2) of a number that is not open still reports it
    const notOpen = Math.max(...openFds().keys()) + 1000;
    expect(() => closeFds([notOpen], () => 0)).toThrow(BpfSyscallError);
  });

  it('closeTogether closes every object, those with closeLater by their descriptor', () => {
    const order: string[] = [];
    const later = (fd: OwnedFd): ClosesLater & { close(): void } => ({
      close: () => order.push('close() of a closeLater object'),
      [closeLater]: () => {
        order.push('closeLater');
        return fd;
      },
    });
    const a = new OwnedFd(newMap());
    const b = new OwnedFd(newMap());
    const numbers = [a.fd, b.fd];
    const failing = {
      close: () => {
        order.push('failing close');
        throw new Error('first failure');
      },
    };
    const plain = { close: () => order.push('plain close') };
    expect(() => closeTogether([later(a), failing, plain, later(b)])).toThrow('first failure');
    expect(order).toEqual(['closeLater', 'failing close', 'plain close', 'closeLater']);
    expect(a.closed && b.closed).toBe(true);
    expect(numbers.filter(isOpen)).toEqual([]);
  });
});
