import { ObjectClosedError, syscallError } from './errors.js';
import { sysClose, sysFcntlTry } from './ffi.js';
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

const forgotten = new FinalizationRegistry<number>((fd) => {
  try {
    sysClose(fd);
  } catch {
    // already gone: nothing else to do in a finalizer
  }
});

/**
 * An owned file descriptor: closed exactly once by `close()`, by `using`, or
 * (as a last resort) when garbage-collected. Reading `fd` after close throws.
 */
export class OwnedFd implements Disposable {
  #fd: number;
  readonly #what: string;

  /** Takes ownership of `fd`; `what` names it in errors (`'map fd'`, `'perf event'`). */
  constructor(fd: number, what = 'file descriptor') {
    this.#fd = checkFd(fd);
    this.#what = what;
    forgotten.register(this, fd, this);
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
    forgotten.unregister(this);
    sysClose(fd);
  }

  /** Gives up ownership without closing, returning the number. */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    forgotten.unregister(this);
    return fd;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
