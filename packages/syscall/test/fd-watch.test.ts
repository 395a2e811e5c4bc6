import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFds, REPO_ROOT, thrownBy } from '@ts-ebpf/test-utils';
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
    using watch = new ReadableWatch(ev.fd, () => calls++, 'test eventfd');
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

  it('a watch closed between the poll and its callback is not notified', async () => {
    // Both eventfds are readable at the same poll, which schedules both callbacks; whichever runs
    // first closes the other, which must then not be called.
    using a = counter();
    using b = counter();
    const called: string[] = [];
    const watchA: ReadableWatch = new ReadableWatch(a.fd, () => {
      called.push('a');
      watchB.close();
    });
    const watchB: ReadableWatch = new ReadableWatch(b.fd, () => {
      called.push('b');
      watchA.close();
    });
    a.post();
    b.post();
    watchA.arm();
    watchB.arm();
    await until(() => called.length > 0, 'a notification');
    for (let i = 0; i < 20; i++) await turn();
    expect(called).toHaveLength(1);
    watchA.close();
    watchB.close();
  });

  it('refuses, naming the descriptor: a closed fd, and one the event loop cannot poll (a regular file)', () => {
    const before = openFds().size;
    const path = join(tmpdir(), `ts-ebpf-watch-${process.pid}`);
    const file = openSync(path, 'w');
    try {
      const e = thrownBy(() => new ReadableWatch(file, () => {}, 'regular file'));
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
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@ts-ebpf/source',
        fileURLToPath(new URL('./fixtures/watch-process.ts', import.meta.url)),
        mode,
      ],
      { encoding: 'utf8', cwd: REPO_ROOT, timeout: 30_000 },
    );

  it('an armed watch keeps the process alive until it is notified', () => {
    const r = child('alive');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('readable\n');
  });

  it("what onReadable throws is an uncaught exception, as a timer's error is", () => {
    const r = child('throws');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('thrown by onReadable');
  });
});
