import { Epoll, EpollEvent } from './epoll.js';
import { FdWatchError, ObjectClosedError, syscallError } from './errors.js';
import { dupFd, OwnedFd } from './fd.js';
import { type LoopPoll, sysLoopPoll } from './ffi.js';

/**
 * Watches a descriptor for readability on this thread's Node event loop (a libuv poll of the
 * loop itself, as a socket is watched: no thread waits for it), one notification at a time:
 * {@link ReadableWatch.arm} asks for the next, `onReadable` then runs once and the watch stays
 * disarmed until armed again (so a descriptor left readable does not wake the loop on every
 * turn).
 *
 * `onReadable` runs in a `setImmediate` of its own, right after the loop's poll phase that saw
 * the descriptor readable: as any callback of Node's, the promises it settles and the
 * `process.nextTick` callbacks it queues run before the next one, and what it throws is an
 * uncaught exception, as a timer's would be. An armed watch keeps the process alive, as a
 * pending timer does; a disarmed one does not.
 *
 * The watch polls a duplicate of `fd` it owns, closed by {@link ReadableWatch.close} after the
 * poll: closing `fd` itself while it is watched cannot break the loop (libuv aborts the process
 * when a descriptor it polls was closed under it).
 */
export class ReadableWatch implements Disposable {
  readonly #fd: OwnedFd;
  readonly #what: string;
  readonly #onReadable: () => void;
  #poll: LoopPoll | undefined;
  #armed = false;

  /**
   * @param fd - the descriptor to watch (duplicated at once: closing it later does not matter)
   * @param onReadable - called once per {@link ReadableWatch.arm} that saw the descriptor readable
   * @param what - names the descriptor in errors (`'ring buffer reader fd'`)
   * @throws BadFileDescriptorError when `fd` is not open; FdWatchError when it cannot be
   * polled (a regular file or a directory)
   */
  constructor(fd: number, onReadable: () => void, what = 'file descriptor') {
    this.#what = `${what} ${fd}`;
    this.#fd = new OwnedFd(dupFd(fd), `watch of ${this.#what}`);
    this.#onReadable = onReadable;
    try {
      checkPollable(this.#fd.fd, this.#what);
    } catch (e) {
      this.#fd.close();
      throw e;
    }
  }

  /** True between {@link ReadableWatch.arm} and the notification (or `disarm()`). */
  get armed(): boolean {
    return this.#armed;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /**
   * Asks for the next readability notification (at once, on the loop's next poll, when the
   * descriptor is readable already); does nothing when armed.
   * @throws ObjectClosedError after close
   */
  arm(): void {
    if (this.#fd.closed) throw new ObjectClosedError(`watch of ${this.#what}`);
    if (this.#armed) return;
    if (this.#poll) this.#poll.start(this.#polled);
    else this.#poll = sysLoopPoll(this.#fd.fd, this.#polled);
    this.#armed = true;
  }

  /** Withdraws the request for a notification; does nothing when not armed. */
  disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    this.#poll?.stop();
  }

  /** Stops watching and closes the duplicate descriptor; idempotent. */
  close(): void {
    if (this.#fd.closed) return;
    this.#armed = false;
    // The poll first: libuv must not watch a descriptor that is closed.
    this.#poll?.close();
    this.#poll = undefined;
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // Runs in the loop's poll phase, outside any callback of Node's (a promise settled here would
  // wait for some other callback to run its reactions): it only disarms and schedules delivery.
  readonly #polled = (status: number): void => {
    this.disarm();
    setImmediate(this.#deliver, status);
  };

  readonly #deliver = (status: number): void => {
    // closed since: nobody waits for this notification any more
    if (this.#fd.closed) return;
    if (status < 0) {
      throw syscallError(-status, {
        syscall: 'epoll_wait',
        detail: `${this.#what}, watched by the event loop`,
      });
    }
    this.#onReadable();
  };
}

/**
 * Whether epoll can watch `fd`, asked of an epoll instance of its own: koffi ends the process
 * (a fatal error of Node's) when libuv refuses to poll a descriptor, so a refusal must come
 * from here first. libuv's own check is the same `epoll_ctl(EPOLL_CTL_ADD)`.
 */
function checkPollable(fd: number, what: string): void {
  using probe = new Epoll();
  try {
    probe.add(fd, 0, EpollEvent.IN);
  } catch (e) {
    throw new FdWatchError(what, { cause: e });
  }
}
