import { ObjectClosedError, syscallError } from './errors.js';
import { sysClose, sysFcntlTry } from './ffi/files.js';
import { checkFd } from './validate.js';

/** close(2). @throws BadFileDescriptorError for a descriptor that is not open. */
export function close(fd: number): void {
  sysClose(checkFd(fd));
}

const F_DUPFD_CLOEXEC = 1030;

/** fcntl(F_DUPFD_CLOEXEC): a new descriptor for the same open file (a map, program, link …). */
export function dupFd(fd: number): number {
  const r = sysFcntlTry(checkFd(fd), F_DUPFD_CLOEXEC, 0);
  if (r < 0) throw syscallError(-r, { syscall: 'fcntl', command: 'F_DUPFD_CLOEXEC', detail: `fd ${fd}` });
  return r;
}

// The safety net: an OwnedFd still open when it is garbage-collected has its fd closed here.
const forgotten = new FinalizationRegistry<number>((fd) => {
  try {
    sysClose(fd);
  } catch {
    // already gone: nothing else to do in a finalizer
  }
});

/**
 * New OwnedFds wait here (held strongly) before they join {@link forgotten}: a register and
 * unregister pair costs about a microsecond, more than the rest of a wrapper's JavaScript, and most
 * descriptors (a probe's, a load that is closed at once) are closed within the job that opened them.
 * At the end of the job (a microtask), or once this many wait, those still open are registered and
 * the closed ones dropped. A leaked descriptor is thus registered by the end of the job that made
 * it at the latest, and closed when collected after that.
 */
const REGISTER_BATCH = 1024;

/**
 * An owned file descriptor: closed exactly once by `close()`, by `using`, or
 * (as a last resort) when garbage-collected. Reading `fd` after close throws.
 *
 * The last resort is taken for a descriptor still open at the end of the job (the synchronous run
 * of code up to the next `await` or event) that opened it: until then the object is held by this
 * module, so the descriptor of an object dropped earlier is closed when it is collected after that.
 */
export class OwnedFd implements Disposable {
  #fd: number;
  readonly #what: string;
  // Whether this object joined the finalization registry (see REGISTER_BATCH).
  #registered = false;

  static readonly #waiting: OwnedFd[] = [];
  static #flushQueued = false;

  /** Takes ownership of `fd`; `what` names it in errors (`'map fd'`, `'perf event'`). */
  constructor(fd: number, what = 'file descriptor') {
    this.#fd = checkFd(fd);
    this.#what = what;
    const waiting = OwnedFd.#waiting;
    waiting.push(this);
    if (waiting.length >= REGISTER_BATCH) OwnedFd.#registerWaiting();
    else if (!OwnedFd.#flushQueued) {
      OwnedFd.#flushQueued = true;
      queueMicrotask(OwnedFd.#endOfJob);
    }
  }

  static #endOfJob(): void {
    OwnedFd.#flushQueued = false;
    OwnedFd.#registerWaiting();
  }

  /** Registers the waiting objects still open with the finalization registry and drops the rest. */
  static #registerWaiting(): void {
    const waiting = OwnedFd.#waiting;
    for (let i = 0; i < waiting.length; i++) {
      const owned = waiting[i]!;
      if (owned.#fd >= 0) {
        forgotten.register(owned, owned.#fd, owned);
        owned.#registered = true;
      }
    }
    waiting.length = 0;
  }

  /** The descriptor number. @throws ObjectClosedError after close. */
  get fd(): number {
    if (this.#fd < 0) throw new ObjectClosedError(this.#what);
    return this.#fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    if (this.#registered) forgotten.unregister(this);
    sysClose(fd);
  }

  /** Gives up ownership without closing, returning the number. */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    if (this.#registered) forgotten.unregister(this);
    return fd;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
