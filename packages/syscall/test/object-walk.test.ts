import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  close,
  mapCreate,
  mapGetFdById,
  mapGetNextId,
  mapInfo,
  NotFoundError,
  OwnedFd,
  objectIds,
  openEachObject,
} from '../src/index.js';

/** A map fd wrapped so that openEachObject can close it. */
const openMap = (id: number) => new OwnedFd(mapGetFdById(id), `map id ${id}`);
const isGone = (e: unknown) => e instanceof NotFoundError;

describeKernel('objectIds and openEachObject', () => {
  it('an id whose object was freed before the open is passed over; another failure is thrown', () => {
    const fd = mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    const id = mapInfo(fd).id;
    close(fd);
    // the kernel frees a map after its last descriptor closes (deferred): open it by id anyway
    const opened = [...openEachObject([id], openMap, isGone)];
    expect(opened).toEqual([]);
    const before = openFds();
    expect(() => [...openEachObject([id], openMap, () => false)]).toThrow(NotFoundError);
    expect(leakedFds(before)).toEqual([]);
  });

  it('each object is closed when the loop moves on, and on break', () => {
    const fds = [0, 1, 2].map(() => mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 }));
    try {
      const ids = fds.map((fd) => mapInfo(fd).id);
      expect([...objectIds(mapGetNextId)]).toEqual(expect.arrayContaining(ids));
      const before = openFds();
      const seen: OwnedFd[] = [];
      for (const o of openEachObject(ids, openMap, isGone)) {
        for (const s of seen) expect(s.closed).toBe(true);
        seen.push(o);
        if (seen.length === 2) break;
      }
      expect(seen.map((s) => s.closed)).toEqual([true, true]);
      expect(leakedFds(before)).toEqual([]);
    } finally {
      for (const fd of fds) close(fd);
    }
  });
});
