import { Errno } from '@ts-ebpf/uapi';
import { Epoll, EpollEvent } from './epoll.js';
import { errnoName } from './errno.js';
import { FdWatchError, ObjectClosedError, syscallError } from './errors.js';
import { dupFd, OwnedFd } from './fd.js';
import { sysFcntlTry } from './ffi/files.js';
import { type LoopPoll, sysLoopPoll } from './ffi/loop-poll.js';

const F_GETFL = 3;
const F_SETFL = 4;

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
 * uncaught exception, as a timer's would be. When the loop reports an error condition on the
 * descriptor (`EPOLLERR`), `onReadable` gets an {@link FdWatchError} instead. An armed watch
 * keeps the process alive, as a pending timer does; a disarmed one does not.
 *
 * An `arm()` takes effect at the loop's next poll phase, where the loop's registration polls the
 * descriptor: one readable by then is reported. The readiness of some descriptors is used up by
 * being polled (a perf event, an epoll instance of perf events), so that registration takes the
 * readiness of data that arrived between the arm and it, and reports nothing: for those, pass
 * `ready` (whether data is waiting), which the watch asks once that poll phase has passed.
 *
 * Every watch of a thread is closed when the thread exits (`process` `'exit'`): the loop runs
 * once more while Node tears the thread down, and a watch it polled then would call into
 * JavaScript that can no longer run (koffi ends the process). A worker stopped by
 * `worker.terminate()` runs no `'exit'` listener: close its watches (its readers) first.
 *
 * The watch polls a duplicate of `fd` it owns, closed by {@link ReadableWatch.close} after the
 * poll: closing `fd` itself while it is watched cannot break the loop (libuv aborts the process
 * when a descriptor it polls was closed under it). The open file's flags (`O_NONBLOCK`, which
 * libuv sets) are left as they were.
 */
export class ReadableWatch implements Disposable {
  readonly #fd: OwnedFd;
  readonly #what: string;
  readonly #ready: (() => boolean) | undefined;
  // Whether the loop's poll is started.
  #started = false;
  // Arms so far: a look at `ready` after an arm's poll phase is for that arm alone (see arm()).
  #arms = 0;
  readonly #onReadable: (error?: FdWatchError) => void;
  #poll: LoopPoll | undefined;
  #armed = false;
  // The delivery of a notification the loop has seen, scheduled and not run yet.
  #delivery: NodeJS.Immediate | undefined;

  /**
   * @param fd - the descriptor to watch (duplicated at once: closing it later does not matter)
   * @param onReadable - called once per {@link ReadableWatch.arm} that saw the descriptor
   * readable (with an error when the loop reported an error condition on it)
   * @param options - `what` names the descriptor in errors (`'ring buffer reader fd'`); `ready`
   * tells whether data is waiting, for a descriptor whose readiness is used up by a poll (see
   * the class)
   * @throws BadFileDescriptorError when `fd` is not open; FdWatchError when it cannot be
   * polled (a regular file or a directory)
   */
  constructor(fd: number, onReadable: (error?: FdWatchError) => void, options: ReadableWatchOptions = {}) {
    this.#what = `${options.what ?? 'file descriptor'} ${fd}`;
    this.#ready = options.ready;
    this.#fd = new OwnedFd(dupFd(fd), `watch of ${this.#what}`);
    this.#onReadable = onReadable;
    try {
      checkPollable(this.#fd.fd, this.#what);
    } catch (e) {
      this.#fd.close();
      throw e;
    }
  }

  /** True from {@link ReadableWatch.arm} until `onReadable` is called, `disarm()` or `close()`. */
  get armed(): boolean {
    return this.#armed;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /**
   * Asks for the next readability notification (reported after the loop's next poll phase when
   * the descriptor is readable already); does nothing when armed.
   * @throws ObjectClosedError after close
   */
  arm(): void {
    if (this.#fd.closed) throw new ObjectClosedError(`watch of ${this.#what}`);
    if (this.#armed) return;
    if (!this.#poll) this.#poll = this.#firstPoll();
    else this.#poll.start(this.#polled);
    this.#started = true;
    this.#armed = true;
    if (this.#ready !== undefined) {
      // A look of its own for every arm (one queued for an earlier arm may run before this arm's
      // poll phase): an immediate queued by an immediate runs on the next turn of the loop, after
      // its poll phase.
      const arm = ++this.#arms;
      setImmediate(() => setImmediate(() => this.#look(arm)));
    }
  }

  /** Withdraws the request, and a notification seen and not yet delivered; does nothing when not armed. */
  disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    if (this.#delivery !== undefined) {
      clearImmediate(this.#delivery);
      this.#delivery = undefined;
    }
    this.#stop();
  }

  #stop(): void {
    if (!this.#started) return;
    this.#poll?.stop();
    this.#started = false;
  }

  // After an arm's poll phase: data the loop's registration may have taken the readiness of
  // (only for the latest arm: a later one has its own look).
  readonly #look = (arm: number): void => {
    if (arm === this.#arms && this.#armed && this.#delivery === undefined && this.#ready?.() === true) {
      this.#polled(0);
    }
  };

  /** Stops watching and closes the duplicate descriptor; idempotent. */
  close(): void {
    if (this.#fd.closed) return;
    this.disarm();
    // The poll first: libuv must not watch a descriptor that is closed.
    this.#poll?.close();
    this.#poll = undefined;
    this.#fd.close();
    closedWatch(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // libuv makes the descriptor non-blocking, and the duplicate shares the open file's flags with
  // the caller's descriptor: they are put back.
  #firstPoll(): LoopPoll {
    const fd = this.#fd.fd;
    const flags = sysFcntlTry(fd, F_GETFL, 0);
    if (flags < 0) throw syscallError(-flags, { syscall: 'fcntl', command: 'F_GETFL', detail: this.#what });
    const poll = sysLoopPoll(fd, this.#polled);
    const restored = sysFcntlTry(fd, F_SETFL, flags);
    if (restored < 0) {
      poll.close();
      throw syscallError(-restored, { syscall: 'fcntl', command: 'F_SETFL', detail: this.#what });
    }
    openWatches(this);
    return poll;
  }

  // Runs in the loop's poll phase, outside any callback of Node's (a promise settled here would
  // wait for some other callback to run its reactions): it only schedules the delivery. libuv
  // stops the poll itself when it reports an error condition.
  readonly #polled = (status: number): void => {
    if (status < 0) this.#started = false;
    if (!this.#armed || this.#delivery !== undefined) return;
    this.#stop();
    this.#status = status;
    this.#delivery = setImmediate(this.#deliver);
  };

  // The status of the notification being delivered.
  #status = 0;

  readonly #deliver = (): void => {
    this.#delivery = undefined;
    this.#armed = false;
    const status = this.#status;
    if (status >= 0) this.#onReadable();
    else {
      // libuv reports an error condition (EPOLLERR) on the descriptor as EBADF
      const condition = -status === Errno.EBADF ? 'an error condition (EPOLLERR)' : errnoName(-status);
      this.#onReadable(
        new FdWatchError(`the event loop reported ${condition} on ${this.#what}; the watch is disarmed`),
      );
    }
  };
}

/** Options of a {@link ReadableWatch}. */
export interface ReadableWatchOptions {
  /** Names the descriptor in errors (`'ring buffer reader fd'`); default `'file descriptor'`. */
  readonly what?: string;
  /**
   * Whether data is waiting, for a descriptor whose readiness is used up by a poll (a perf
   * event, an epoll instance of perf events): asked once the poll phase after each arm has
   * passed, and a notification delivered when it says so. See {@link ReadableWatch}.
   */
  readonly ready?: () => boolean;
}

// The watches of this thread that have a poll of the loop, closed when it exits (see ReadableWatch).
const open = new Set<ReadableWatch>();
let closingOnExit = false;

function openWatches(watch: ReadableWatch): void {
  open.add(watch);
  if (closingOnExit) return;
  closingOnExit = true;
  process.once('exit', () => {
    for (const w of open) w.close();
  });
}

function closedWatch(watch: ReadableWatch): void {
  open.delete(watch);
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
    throw new FdWatchError(`the event loop cannot watch ${what} for readability: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
