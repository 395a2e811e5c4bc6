import { BpfArgumentError, close } from '@ts-ebpf/syscall';
import { describeKernel, runTsChild } from '@ts-ebpf/test-utils';
import { afterEach, expect, it } from 'vitest';
import {
  defaultPoller,
  ReaderClosedError,
  ReserveAbortedError,
  ReserveTimeoutError,
  type UserRecord,
  UserRingBuffer,
  UserRingBufMap,
} from '../src/index.js';
import { counters } from './programs.js';
import { loadUserRingDrainer, runSyscall } from './user-ring-drainer.js';

afterEach(() => expect(defaultPoller().size).toBe(0));

const u64le = (n: number, size = 8) => {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

// 100-byte samples take 112 bytes: 36 fill a 4096-byte ring, leaving 64 bytes.
const FULL = Math.floor(4096 / 112);

/** A 4096-byte user ring buffer filled with 100-byte samples (seq 1..36), its drainer and counters. */
function filledRing() {
  const map = UserRingBufMap.create({ maxEntries: 4096 });
  const cnt = counters();
  const prog = loadUserRingDrainer(map.fd, cnt.fd);
  const urb = UserRingBuffer.open(map);
  for (let i = 1; i <= FULL; i++) expect(urb.write(u64le(i, 100))).toBe(true);
  expect(urb.reserve(100)).toBeUndefined();
  return {
    map,
    cnt,
    prog,
    urb,
    [Symbol.dispose]() {
      urb.close();
      close(prog);
      cnt.close();
      map.close();
    },
  };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 1));
};

describeKernel('UserRingBuffer.reserveAsync', () => {
  it('resolves at once when the sample fits', async () => {
    using r = filledRing();
    const rec = await r.urb.reserveAsync(48);
    rec.bytes.set(u64le(1000));
    rec.submit();
    expect(runSyscall(r.prog)).toBe(FULL + 1);
  });

  it('waits on a full ring until a program drains it (bpf_user_ringbuf_drain wakes the fd), in order', async () => {
    using r = filledRing();
    const got: number[] = [];
    const first = r.urb.reserveAsync(100, { timeoutMs: 10_000 }).then((rec) => {
      got.push(1);
      return rec;
    });
    const second = r.urb.reserveAsync(200, { timeoutMs: 10_000 }).then((rec) => {
      got.push(2);
      return rec;
    });
    await turns(20);
    // still full: nothing resolved, and the wait is watched by the poller
    expect(got).toEqual([]);
    expect(defaultPoller().size).toBe(1);
    expect(runSyscall(r.prog)).toBe(FULL);
    const [a, b] = await Promise.all([first, second]);
    expect(got).toEqual([1, 2]);
    expect(defaultPoller().size).toBe(0);
    a.bytes.set(u64le(100));
    a.submit();
    b.bytes.set(u64le(200));
    b.submit();
    expect(runSyscall(r.prog)).toBe(2);
    expect(r.cnt.get(0)).toEqual({ seq: BigInt((FULL * (FULL + 1)) / 2 + 300), drops: BigInt(FULL + 2) });
  });

  it('a ring with some room, not enough, keeps waiting until a drain frees enough', async () => {
    using r = filledRing();
    // 64 bytes are free: a 56-byte sample fits, a 100-byte one does not
    expect(r.urb.available).toBe(64);
    let done = false;
    const wait = r.urb.reserveAsync(100, { timeoutMs: 10_000 }).then((rec: UserRecord) => {
      done = true;
      return rec;
    });
    await turns(20);
    expect(done).toBe(false);
    runSyscall(r.prog);
    (await wait).discard();
  });

  it('times out with a ReserveTimeoutError', async () => {
    using r = filledRing();
    const started = Date.now();
    const error = await r.urb.reserveAsync(100, { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReserveTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect((error as ReserveTimeoutError).size).toBe(100);
    expect((error as ReserveTimeoutError).timeoutMs).toBe(30);
    expect((error as Error).message).toMatch(/user_ringbuf map.*100-byte sample after 30 ms \(64 bytes free/);
    await expect(r.urb.reserveAsync(100, { timeoutMs: 0 })).rejects.toThrow(ReserveTimeoutError);
    // the space is still there for a later wait
    const later = r.urb.reserveAsync(100);
    runSyscall(r.prog);
    (await later).discard();
  });

  it('gives up with a ReserveAbortedError when the signal aborts, with its reason as cause', async () => {
    using r = filledRing();
    const ac = new AbortController();
    const wait = r.urb.reserveAsync(100, { signal: ac.signal });
    ac.abort(new Error('stop'));
    const error = await wait.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReserveAbortedError);
    expect((error as Error).cause).toEqual(new Error('stop'));
    await expect(r.urb.reserveAsync(100, { signal: ac.signal })).rejects.toThrow(ReserveAbortedError);
  });

  it('rejects waits with a ReaderClosedError when the producer closes', async () => {
    using r = filledRing();
    const wait = r.urb.reserveAsync(100);
    r.urb.close();
    await expect(wait).rejects.toThrow(ReaderClosedError);
    await expect(r.urb.reserveAsync(8)).rejects.toThrow(ReaderClosedError);
  });

  it('refuses a sample that can never fit and a timeout that is not a non-negative integer', async () => {
    using r = filledRing();
    await expect(r.urb.reserveAsync(4096)).rejects.toThrow(BpfArgumentError);
    await expect(r.urb.reserveAsync(0)).rejects.toThrow(BpfArgumentError);
    await expect(r.urb.reserveAsync(8, { timeoutMs: -1 })).rejects.toThrow(
      /timeoutMs.*-1.*non-negative integer/,
    );
    await expect(r.urb.reserveAsync(8, { timeoutMs: 1.5 })).rejects.toThrow(BpfArgumentError);
  });

  it('waits in a worker thread too (the poller watches the ring from a thread of its own there)', () => {
    const r = runTsChild(new URL('./fixtures/user-ring-worker.ts', import.meta.url), [], 30_000);
    expect({ status: r.status, signal: r.signal, lines: r.stdout.trim().split('\n') }).toEqual({
      status: 0,
      signal: null,
      lines: [`written ${FULL} drained ${FULL} early false reserved true`, 'worker exit 0'],
    });
  });
});
