import { ObjectClosedError } from './errors.js';
import { sysClose } from './ffi.js';
import { checkFd } from './validate.js';

/** close(2). @throws BadFileDescriptorError for a descriptor that is not open. */
export function close(fd: number): void {
  sysClose(checkFd(fd));
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
