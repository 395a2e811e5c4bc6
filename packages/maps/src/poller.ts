import { ReadableWatch } from '@ts-ebpf/syscall';

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
 * Watches fds (ring buffers, perf buffers) for the readers, without blocking: this thread's
 * event loop polls them itself (a `ReadableWatch` of `@ts-ebpf/syscall` per fd), as it polls
 * sockets, so no thread of ours waits and a notification costs no message between threads.
 * Each registration is one-shot: the source is told once, in a callback of its own, and the fd
 * stays unwatched until re-armed. A registration armed and waiting keeps the process alive, as
 * a pending timer does.
 */
export class Poller {
  #size = 0;

  /** Number of sources watched. */
  get size(): number {
    return this.#size;
  }

  /**
   * Watches `fd` for readability on behalf of `source` (armed at once). `keepPolling` is for an fd
   * whose readiness a poll uses up (a perf event, an epoll instance of them): see the
   * `ReadableWatch` of `@ts-ebpf/syscall`.
   */
  add(fd: number, source: PollSource, options: { readonly keepPolling?: boolean } = {}): PollRegistration {
    const watch = new ReadableWatch(
      fd,
      (error) => {
        // an error condition on the fd (EPOLLERR): none is known for ring and perf buffers
        if (error) throw error;
        source.onReadable();
      },
      { what: 'polled fd', keepPolling: options.keepPolling },
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
