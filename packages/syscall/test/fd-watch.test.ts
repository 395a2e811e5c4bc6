import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFds, runTsChild, thrownBy } from '@ts-ebpf/test-utils';
import { EbpfError } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BadFileDescriptorError,
  BpfSyscallError,
  dupFd,
  eventfd,
  FdWatchError,
  ObjectClosedError,
  ReadableWatch,
} from '../src/index.js';

const EFD_CLOEXEC = 0o2000000;
const ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const until = async (done: () => boolean, what: string) => {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
};
/** An eventfd (readable while its counter is above zero), closed by dispose. */
function counter() {
  const fd = eventfd(0, EFD_CLOEXEC);
  return {
    fd,
    post: () => writeSync(fd, ONE),
    take: () => readSync(fd, new Uint8Array(8)),
    [Symbol.dispose]: () => closeSync(fd),
  };
}

describe('ReadableWatch: a descriptor watched by the event loop', () => {
  it('notifies once per arm, in a callback of its own, and stays disarmed while the fd stays readable', async () => {
    using ev = counter();
    let calls = 0;
    using watch = new ReadableWatch(ev.fd, () => calls++, { what: 'test eventfd' });
    watch.arm();
    expect(watch.armed).toBe(true);
    for (let i = 0; i < 5; i++) await turn();
    expect(calls).toBe(0);
    ev.post();
    await until(() => calls === 1, 'the notification');
    expect(watch.armed).toBe(false);
    // still readable (nothing read the counter): no notification until armed again
    for (let i = 0; i < 20; i++) await turn();
    expect(calls).toBe(1);
    watch.arm();
    await until(() => calls === 2, 'the notification of the re-armed watch');
    // a disarmed watch is not notified
    ev.take();
    watch.arm();
    watch.disarm();
    ev.post();
    for (let i = 0; i < 20; i++) await turn();
    expect(calls).toBe(2);
  });

  it('runs the reactions of what onReadable settles before the next callback, as any callback of Node', async () => {
    using ev = counter();
    const order: string[] = [];
    using watch = new ReadableWatch(ev.fd, () => {
      order.push('readable');
      setImmediate(() => order.push('next callback'));
      void Promise.resolve().then(() => order.push('promise reaction'));
      process.nextTick(() => order.push('next tick'));
    });
    watch.arm();
    ev.post();
    await until(() => order.length === 4, 'the callbacks');
    expect(order).toEqual(['readable', 'next tick', 'promise reaction', 'next callback']);
  });

  it('watches a duplicate of the fd: closing the original while armed changes nothing; close is idempotent and leaks nothing', async () => {
    const before = openFds().size;
    const fd = eventfd(0, EFD_CLOEXEC);
    const writer = dupFd(fd);
    let calls = 0;
    const watch = new ReadableWatch(fd, () => calls++);
    watch.arm();
    closeSync(fd);
    for (let i = 0; i < 5; i++) await turn();
    writeSync(writer, ONE);
    await until(() => calls === 1, 'the notification through the duplicate');
    watch.close();
    watch.close();
    expect(watch.closed).toBe(true);
    expect(() => watch.arm()).toThrow(ObjectClosedError);
    watch.disarm();
    closeSync(writer);
    expect(openFds().size).toBe(before);
  });

  /**
   * Two eventfds readable at the same poll, which schedules both watches' callbacks: whichever
   * runs first withdraws the other (`withdraw`), which must then not be called. Returns what was
   * called, whether the other was still armed when withdrawn, and the watches (closed by dispose).
   */
  async function raceOfTwo(withdraw: (other: ReadableWatch) => void) {
    const a = counter();
    const b = counter();
    const called: string[] = [];
    const armedWhenWithdrawn: boolean[] = [];
    const watchA: ReadableWatch = new ReadableWatch(a.fd, () => {
      called.push('a');
      armedWhenWithdrawn.push(watchB.armed);
      withdraw(watchB);
    });
    const watchB: ReadableWatch = new ReadableWatch(b.fd, () => {
      called.push('b');
      armedWhenWithdrawn.push(watchA.armed);
      withdraw(watchA);
    });
    a.post();
    b.post();
    watchA.arm();
    watchB.arm();
    await until(() => called.length > 0, 'a notification');
    for (let i = 0; i < 20; i++) await turn();
    return {
      called,
      armedWhenWithdrawn,
      watchA,
      watchB,
      [Symbol.dispose]() {
        for (const x of [watchA, watchB, a, b]) x[Symbol.dispose]();
      },
    };
  }

  it('a watch closed between the poll and its callback is not notified', async () => {
    using race = await raceOfTwo((other) => other.close());
    expect(race.called).toHaveLength(1);
  });

  it('disarm() withdraws a notification the loop has seen and not delivered; armed stays true until delivery', async () => {
    using race = await raceOfTwo((other) => other.disarm());
    const { called, watchA, watchB } = race;
    // both were seen in one poll phase: the other was still armed, then withdrawn
    expect(called).toHaveLength(1);
    expect(race.armedWhenWithdrawn).toEqual([true]);
    expect(watchA.armed || watchB.armed).toBe(false);
    // armed again, it is told once
    const other = called[0] === 'a' ? watchB : watchA;
    other.arm();
    await until(() => called.length === 2, 'the notification of the re-armed watch');
    for (let i = 0; i < 20; i++) await turn();
    expect(called).toHaveLength(2);
  });

  it("an error condition on the fd (EPOLLERR) reaches onReadable as an FdWatchError, and leaves the caller's file flags as they were", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-watch-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    try {
      const flags = () => readFileSync(`/proc/self/fdinfo/${writer}`, 'utf8').match(/^flags:\s*(\d+)/m)![1];
      const before = flags();
      const seen: (Error | undefined)[] = [];
      using watch = new ReadableWatch(writer, (error) => seen.push(error), { what: 'fifo write end' });
      watch.arm();
      // libuv sets O_NONBLOCK on the open file the caller's fd shares: put back
      expect(flags()).toBe(before);
      closeSync(reader); // the write end now reports EPOLLERR
      await until(() => seen.length === 1, 'the error');
      expect(seen[0]).toBeInstanceOf(FdWatchError);
      expect(seen[0]!.message).toBe(
        `the event loop reported an error condition (EPOLLERR) on fifo write end ${writer}; the watch is disarmed`,
      );
      expect(watch.armed).toBe(false);
    } finally {
      closeSync(writer);
      rmSync(dir, { recursive: true });
    }
  });

  it('refuses, naming the descriptor: a closed fd, and one the event loop cannot poll (a regular file)', () => {
    const before = openFds().size;
    const path = join(tmpdir(), `ts-ebpf-watch-${process.pid}`);
    const file = openSync(path, 'w');
    try {
      const e = thrownBy(() => new ReadableWatch(file, () => {}, { what: 'regular file' }));
      expect(e).toBeInstanceOf(FdWatchError);
      expect(e).toBeInstanceOf(EbpfError);
      expect((e as Error).message).toMatch(
        new RegExp(
          `^the event loop cannot watch regular file ${file} for readability: epoll_ctl failed: EPERM`,
        ),
      );
      expect((e as Error).cause).toBeInstanceOf(BpfSyscallError);
    } finally {
      closeSync(file);
    }
    expect(openFds().size).toBe(before);
    const closed = eventfd(0, EFD_CLOEXEC);
    closeSync(closed);
    expect(() => new ReadableWatch(closed, () => {})).toThrow(BadFileDescriptorError);
  });

  const child = (mode: string) =>
    runTsChild(new URL('./fixtures/watch-process.ts', import.meta.url), [mode], 30_000);

  it('an armed watch keeps the process alive until it is notified', () => {
    const r = child('alive');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('readable\n');
  });

  it('a worker thread that ends with a watch open (armed or not, its fd readable or not) ends cleanly', () => {
    // Its main thread loads no koffi, so Node unloads the addon with the worker: the watch's
    // handle, closed by the worker's teardown, called back into unloaded code (a segfault). And
    // the loop runs once more in the teardown: a watch polled then, its fd readable, would call
    // into JavaScript that can no longer run (koffi ends the process): 'exit' closes the watches.
    for (const end of ['end', 'exit', 'throw', 'terminate']) {
      for (const state of ['armed', 'disarmed']) {
        for (const readable of ['idle', 'readable']) {
          // an armed watch keeps the worker alive; the one unsafe case, documented: terminate()
          // runs no 'exit' listener, so a watch armed on a readable fd is still polled
          if (end === 'end' && state === 'armed') continue;
          if (end === 'terminate' && state === 'armed' && readable === 'readable') continue;
          const r = runTsChild(
            new URL('./fixtures/watch-worker.ts', import.meta.url),
            [end, state, readable],
            30_000,
          );
          const ended = r.stdout.trim().split('\n').at(-1);
          const code = end === 'end' || end === 'exit' ? 0 : 1;
          expect({ end, state, readable, signal: r.signal, status: r.status, ended }).toEqual({
            end,
            state,
            readable,
            signal: null,
            status: 0,
            ended: `worker exit ${code}`,
          });
        }
      }
    }
  });

  it("what onReadable throws is an uncaught exception, as a timer's error is", () => {
    const r = child('throws');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('thrown by onReadable');
  });
});
