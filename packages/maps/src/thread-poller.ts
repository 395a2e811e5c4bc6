import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Epoll, EpollEvent, eventfd, fileWrite, OwnedFd } from '@ts-ebpf/syscall';
import type { PollRegistration, PollSource } from './poller.js';
import { PollerWorkerNotFoundError } from './reader-errors.js';

const ONESHOT = EpollEvent.IN | EpollEvent.ONESHOT;
const EFD_CLOEXEC = 0o2000000;

function workerUrl(): { url: URL | string; eval: boolean } {
  // import.meta.url in the ESM build and in sources; the CJS build has its own __filename (a
  // worker started with `eval: true` has a global one, naming no file).
  const url = (import.meta as { url?: string }).url;
  const here = typeof url === 'string' ? fileURLToPath(url) : __filename;
  if (here.endsWith('.ts')) {
    // Running from sources (tests, tsx): load the TypeScript worker through tsx.
    const file = pathToFileURL(here.replace(/thread-poller\.ts$/, 'poller-worker.ts')).href;
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(file)}); });`;
    return { url: code, eval: true };
  }
  const ext = here.endsWith('.cjs') ? '.cjs' : '.js';
  const file = here.replace(/[^/]+$/, `poller-worker${ext}`);
  if (!existsSync(file)) throw new PollerWorkerNotFoundError(file);
  return { url: pathToFileURL(file), eval: false };
}

/**
 * @internal How a {@link Poller} watches fds on a worker thread: a thread of its own blocks in
 * epoll_wait for all of them (EPOLLONESHOT, re-armed with EPOLL_CTL_MOD) and messages this
 * thread, which does the reading. The event loop's own poll (`ReadableWatch`) is not used there:
 * `worker.terminate()` runs no JavaScript, and a poll the loop made during the thread's teardown
 * would call into JavaScript that can no longer run (koffi ends the process). The thread starts
 * with the first source and stops (closing its epoll and eventfd) with the last.
 */
export class ThreadPoller {
  #epoll: Epoll | undefined;
  #wake: OwnedFd | undefined;
  #stop: Int32Array | undefined;
  #worker: Worker | undefined;
  readonly #sources = new Map<number, { fd: number; source: PollSource }>();
  #nextId = 1;

  /** Number of sources watched. */
  get size(): number {
    return this.#sources.size;
  }

  #start(): void {
    const epoll = new Epoll();
    let wake: OwnedFd | undefined;
    try {
      wake = new OwnedFd(eventfd(0, EFD_CLOEXEC), 'poller eventfd');
      epoll.add(wake.fd, 0, EpollEvent.IN);
      const stop = new SharedArrayBuffer(4);
      const { url, eval: isEval } = workerUrl();
      const worker = new Worker(url, {
        eval: isEval,
        workerData: { epfd: epoll.fd, stop },
        execArgv: isEval ? ['--conditions=@ts-ebpf/source'] : [],
        stdout: false,
      });
      worker.on('message', (ids: number[]) => {
        // Every source hears of its wake-up even if one before it throws; the first error
        // is rethrown afterwards (as a listener's error would be).
        let failure: { error: unknown } | undefined;
        for (const id of ids) {
          try {
            this.#sources.get(id)?.source.onReadable();
          } catch (error) {
            failure ??= { error };
          }
        }
        if (failure) throw failure.error;
      });
      const exited = new Promise<void>((resolve) =>
        worker.once('exit', () => {
          wake?.close();
          epoll.close();
          resolve();
        }),
      );
      running.add(exited);
      void exited.then(() => running.delete(exited));
      worker.on('error', (e) => {
        // A worker that cannot run is a setup problem: make it loud.
        process.emitWarning(`ts-ebpf poller worker failed: ${e.message}`);
      });
      this.#epoll = epoll;
      this.#wake = wake;
      this.#stop = new Int32Array(stop);
      this.#worker = worker;
    } catch (e) {
      wake?.close();
      epoll.close();
      throw e;
    }
  }

  #shutdown(): void {
    const worker = this.#worker;
    if (!worker) return;
    Atomics.store(this.#stop!, 0, 1);
    fileWrite(this.#wake!.fd, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
    // The worker wakes on the eventfd and exits; its epoll and eventfd are closed once it has
    // (closing the eventfd first could drop the wake-up and leave it blocked forever). It stays
    // referenced until then, so the process waits those few milliseconds for it.
    this.#worker = undefined;
    this.#epoll = undefined;
    this.#wake = undefined;
  }

  /** Watches `fd` for readability on behalf of `source`. */
  add(fd: number, source: PollSource): PollRegistration {
    if (!this.#worker) this.#start();
    const id = this.#nextId++;
    this.#sources.set(id, { fd, source });
    try {
      this.#epoll!.add(fd, id, ONESHOT);
    } catch (e) {
      this.#sources.delete(id);
      if (this.#sources.size === 0) this.#shutdown();
      throw e;
    }
    return {
      rearm: () => {
        if (this.#sources.has(id)) this.#epoll!.modify(fd, id, ONESHOT);
      },
      remove: () => {
        if (!this.#sources.delete(id)) return;
        try {
          this.#epoll?.remove(fd);
        } catch {
          // the fd may already be closed, which removes it from the epoll set
        }
        if (this.#sources.size === 0) this.#shutdown();
      },
    };
  }
}

const running = new Set<Promise<void>>();

/** Resolves once every poller thread started so far has exited (for orderly shutdown and tests). */
export async function pollersStopped(): Promise<void> {
  while (running.size > 0) await Promise.all(running);
}
