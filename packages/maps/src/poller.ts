import { isMainThread } from 'node:worker_threads';
import { ReadableWatch } from '@ts-ebpf/syscall';
import { ThreadPoller } from './thread-poller.js';

/** Something a {@link Poller} watches: told when its fd became readable. */
export interface PollSource {
  /** Called on the main thread; the fd stays disarmed until {@link PollRegistration.rearm}. */
  onReadable(): void;
}

/** A source's membership in a poller. */
export interface PollRegistration {
  /** Asks for the next readiness notification. */
  rearm(): void;
  /** Stops watching; idempotent. */
  remove(): void;
}

/**
 * Watches fds (ring buffers, perf buffers) for the readers, without blocking. On the main thread
 * the event loop polls them itself (a `ReadableWatch` of `@ts-ebpf/syscall` per fd), as it polls
 * sockets, so no thread of ours waits and a notification costs no message between threads. On a
 * worker thread, a thread of the poller's own blocks in `epoll_wait` for all of them and messages
 * the worker (`worker.terminate()` runs no JavaScript, and the loop's own poll could then call
 * into a thread that can no longer run it, which ends the process). Each registration is
 * one-shot: the source is told once, in a callback of its own, and the fd stays unwatched until
 * re-armed. A registration armed and waiting keeps the process (the worker) alive.
 */
export class Poller {
  #size = 0;
  #thread: ThreadPoller | undefined;

  /** Number of sources watched. */
  get size(): number {
    return this.#size + (this.#thread?.size ?? 0);
  }

  /**
   * Watches `fd` for readability on behalf of `source` (armed at once). `ready` tells whether data
   * is waiting, for an fd whose readiness a poll uses up (a perf event, an epoll instance of
   * them): see the `ReadableWatch` of `@ts-ebpf/syscall`.
   */
  add(fd: number, source: PollSource, options: { readonly ready?: () => boolean } = {}): PollRegistration {
    if (!isMainThread) {
      // its EPOLL_CTL_MOD re-arm polls the fd at once, right after the reader looked
      this.#thread ??= new ThreadPoller();
      return this.#thread.add(fd, source);
    }
    const watch = new ReadableWatch(
      fd,
      (error) => {
        // an error condition on the fd (EPOLLERR): none is known for ring and perf buffers
        if (error) throw error;
        source.onReadable();
      },
      { what: 'polled fd', ready: options.ready },
    );
    try {
      watch.arm();
    } catch (e) {
      watch.close();
      throw e;
    }
    this.#size++;
    return {
      rearm: () => {
        if (!watch.closed) watch.arm();
      },
      remove: () => {
        if (watch.closed) return;
        watch.close();
        this.#size--;
      },
    };
  }
}

let shared: Poller | undefined;

/** The process-wide poller that readers use unless given another. */
export function defaultPoller(): Poller {
  shared ??= new Poller();
  return shared;
}

export { pollersStopped } from './thread-poller.js';
