import { BpfArgumentError, BpfMapCreateFlag, getPinned, PermissionError } from '@ts-ebpf/syscall';
import { describeKernel, openFds } from '@ts-ebpf/test-utils';
import { Errno } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import { ArrayMap, BpfMap, HashMap, MapAccessError, MapFrozenError, u32 } from '../src/index.js';

const pinPath = `/sys/fs/bpf/ts-ebpf-pin-access-${process.pid}`;
const codecs = { key: u32, value: u32 };

/** A hash map with 7 → 49, pinned at `pinPath` while `body` runs. */
function withPinnedMap(body: (owner: BpfMap<number, number>) => void): void {
  using owner = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'shared' });
  owner.set(7, 49);
  owner.pin(pinPath);
  try {
    body(owner);
  } finally {
    owner.unpin();
  }
}

/** The error `act` throws. */
function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}

describeKernel('BpfMap.fromPin with readOnly / writeOnly', () => {
  it('a read-only pin reads, and its writes are MapAccessErrors naming the pin', () => {
    withPinnedMap((owner) => {
      using ro = BpfMap.fromPin(pinPath, codecs, { readOnly: true });
      expect(ro.get(7)).toBe(49);
      expect([...ro.entries()]).toEqual([[7, 49]]);
      expect(ro.nextKey()).toBe(7);
      for (const [operation, act] of [
        ['update', () => ro.set(8, 64)],
        ['delete', () => ro.delete(7)],
        ['update', () => ro.setBatch([8], [64])],
        ['freeze', () => ro.freeze()],
      ] as const) {
        const e = thrown(act);
        expect(e, operation).toBeInstanceOf(MapAccessError);
        const access = e as MapAccessError;
        expect(access.access).toBe('read-only');
        expect(access.operation).toBe(operation);
        expect(access.errno).toBe(Errno.EPERM);
        expect(access.cause).toBeInstanceOf(PermissionError);
        expect(access.message).toContain("hash map 'shared'");
        expect(access.message).toContain(`opened from the pin '${pinPath}'`);
        expect(access.message).toContain(`${operation} is refused`);
      }
      // nothing was written, and the map is not frozen: its owner still writes it
      expect(owner.get(8)).toBeUndefined();
      owner.set(8, 64);
    });
  });

  it('a read-only pin of an mmapable array cannot be mapped, even for reading: MapAccessError', () => {
    using owner = ArrayMap.create({ value: u32, maxEntries: 4, mmapable: true, name: 'mapped' });
    owner.pin(pinPath);
    try {
      using ro = BpfMap.fromPin(pinPath, codecs, { readOnly: true });
      for (const writable of [true, false]) {
        const e = thrown(() => ro.mmap({ writable })) as MapAccessError;
        expect(e, `writable: ${writable}`).toBeInstanceOf(MapAccessError);
        expect(e.operation).toBe('mmap');
        expect(e.message).toContain(`opened from the pin '${pinPath}'`);
      }
      expect(ro.get(0)).toBe(0);
    } finally {
      owner.unpin();
    }
  });

  it('a read-only fd refuses writes to a frozen map as read-only first', () => {
    withPinnedMap((owner) => {
      using ro = BpfMap.fromPin(pinPath, codecs, { readOnly: true });
      owner.freeze();
      expect(thrown(() => ro.set(7, 1))).toBeInstanceOf(MapAccessError);
      expect(thrown(() => owner.set(7, 1))).toBeInstanceOf(MapFrozenError);
    });
  });

  it('a read-only fd from elsewhere (fromFd) is explained without a pin', () => {
    withPinnedMap(() => {
      using ro = BpfMap.fromFd(getPinned(pinPath, BpfMapCreateFlag.RDONLY), codecs);
      const e = thrown(() => ro.set(7, 1)) as MapAccessError;
      expect(e).toBeInstanceOf(MapAccessError);
      expect(e.message).toMatch(/its fd is read-only, so it cannot be written: update is refused$/);
    });
  });

  it('a write-only pin writes, and the kernel refuses its reads with a hint that says why', () => {
    withPinnedMap((owner) => {
      using wo = BpfMap.fromPin(pinPath, codecs, { writeOnly: true });
      wo.set(8, 64);
      expect(owner.get(8)).toBe(64);
      const read = thrown(() => wo.get(7));
      expect(read).toBeInstanceOf(PermissionError);
      expect((read as PermissionError).hint).toMatch(/fd was opened write-only/);
      const next = thrown(() => wo.nextKey()) as MapAccessError;
      expect(next).toBeInstanceOf(MapAccessError);
      expect(next.access).toBe('write-only');
      expect(next.message).toContain(`opened from the pin '${pinPath}'`);
    });
  });

  it('readOnly and writeOnly together are refused before anything is opened', () => {
    withPinnedMap(() => {
      const before = openFds();
      const both = thrown(() => BpfMap.fromPin(pinPath, codecs, { readOnly: true, writeOnly: true }));
      expect(both).toBeInstanceOf(BpfArgumentError);
      expect((both as Error).message).toMatch(/readOnly and writeOnly exclude each other/);
      expect((both as Error).message).toContain(pinPath);
      const notBoolean = thrown(() => BpfMap.fromPin(pinPath, codecs, { readOnly: 'yes' as never }));
      expect((notBoolean as Error).message).toMatch(/options\.readOnly: expected a boolean/);
      expect([...openFds().keys()]).toEqual([...before.keys()]);
    });
  });

  it('without options the pin is opened for reading and writing, as before', () => {
    withPinnedMap(() => {
      using rw = BpfMap.fromPin(pinPath, codecs);
      rw.set(9, 81);
      expect(rw.get(9)).toBe(81);
    });
  });
});
