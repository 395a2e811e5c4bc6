import {
  BpfAttachFlag,
  BpfSyscallError,
  close as closeFd,
  dupFd,
  linkDetach,
  linkGetFdById,
  linkUpdate,
  ObjectClosedError,
  OwnedFd,
  objGet,
  pinObject,
  unpin,
} from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';
import { type LinkInfo, readLinkInfo } from './link-info.js';
import { progTypeLabel } from './names.js';
import type { Program } from './program.js';

/** An operation this kind of attachment cannot do (pinning a netlink attachment, …). */
export class LinkOperationError extends EbpfError {
  /** The link kind (`'xdp-netlink'`, `'cgroup-attach'`, …). */
  readonly kind: string;
  /**
   * @param kind - link kind; @param operation - what was attempted; @param why - why it cannot be done
   * @param options - `cause`: the error this one explains
   */
  constructor(kind: string, operation: string, why: string, options?: ErrorOptions) {
    super(`cannot ${operation} a ${kind} attachment: ${why}`, options);
    this.kind = kind;
  }
}

/**
 * How a {@link Link} is made: a kernel bpf_link fd, a legacy attachment, or a group. `detach` and
 * `update` are called as methods of the parts, so an object (a class instance) can carry them.
 */
export interface LinkParts {
  /** What was attached (`'tracepoint'`, `'xdp'`, `'cgroup'`, …). */
  readonly kind: string;
  /** A bpf_link fd the Link takes ownership of. */
  readonly fd?: number;
  /** Other fds (perf events, cgroup/netns directories) closed after detaching. */
  readonly extraFds?: readonly number[];
  /** Legacy attachments (no bpf_link): undoes the attach. */
  readonly detach?: () => void;
  /** Legacy attachments: replaces the program in place. */
  readonly update?: (program: Program) => void;
  /** Links made of several (one perf event per CPU, …). */
  readonly children?: readonly Link[];
  /**
   * A bpf_link whose program the kernel cannot swap (netfilter, perf event, raw tracepoint …):
   * why, and what to do instead. `update()` throws a LinkOperationError with it before asking.
   */
  readonly fixedProgram?: string;
}

const NO_FDS: readonly OwnedFd[] = Object.freeze([]);
const NO_LINKS: readonly Link[] = Object.freeze([]);

/**
 * An attached program. `close()` detaches it (idempotent; `using` works); a kernel
 * bpf_link can also be pinned, updated atomically and inspected with `info()`.
 * Legacy attachments (PROG_ATTACH, netlink, ioctl, setsockopt) detach on `close()` only:
 * a forgotten Link's fds are closed by the garbage collector, which ends bpf_link and
 * perf-event attachments but leaves a legacy attachment in place.
 */
export class Link implements Disposable {
  /** What was attached. */
  readonly kind: string;
  readonly #fd: OwnedFd | undefined;
  readonly #extra: readonly OwnedFd[];
  /** The parts, while their `detach` has not run. */
  #legacy: LinkParts | undefined;
  readonly #parts: LinkParts;
  readonly #children: readonly Link[];
  #closed = false;

  /** Wraps what an attach made; the Link owns every fd given. */
  constructor(parts: LinkParts) {
    this.kind = parts.kind;
    this.#fd = parts.fd === undefined ? undefined : new OwnedFd(parts.fd, `${parts.kind} link`);
    this.#extra = parts.extraFds
      ? parts.extraFds.map((fd) => new OwnedFd(fd, `${parts.kind} link resource`))
      : NO_FDS;
    this.#legacy = parts.detach ? parts : undefined;
    this.#parts = parts;
    this.#children = parts.children ?? NO_LINKS;
  }

  /** Opens a pinned bpf_link. */
  static fromPin(path: string): Link {
    return new Link({ kind: 'pinned', fd: objGet(path) });
  }

  /** Opens the bpf_link with this kernel id. */
  static fromId(id: number): Link {
    return new Link({ kind: 'link', fd: linkGetFdById(id) });
  }

  /** True when this is a kernel bpf_link (pinnable, with `info()`). */
  get isBpfLink(): boolean {
    return this.#fd !== undefined;
  }

  /** The links a group is made of (one per CPU for perf events …); empty otherwise. */
  get children(): readonly Link[] {
    return this.#children;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The bpf_link fd. @throws LinkOperationError for legacy attachments, ObjectClosedError after close */
  get fd(): number {
    return this.#linkFd('get the fd of');
  }

  /** The bpf_link fd, for `operation`. @throws LinkOperationError naming it for legacy attachments */
  #linkFd(operation: string): number {
    this.#check();
    if (!this.#fd)
      throw new LinkOperationError(
        this.kind,
        operation,
        'it is not a bpf_link (a legacy attachment: PROG_ATTACH, netlink, ioctl or setsockopt)',
      );
    return this.#fd.fd;
  }

  #check(): void {
    if (this.#closed) throw new ObjectClosedError(`${this.kind} link`);
  }

  /** The kernel's link info, decoded per link type (see {@link LinkInfo}). */
  info(): LinkInfo {
    return readLinkInfo(this.#linkFd('read the info of'));
  }

  /** Pins the bpf_link at `path` on bpffs: it stays attached after this process exits. */
  pin(path: string): void {
    pinObject(this.#linkFd('pin'), path);
  }

  /**
   * Removes a pin (one missing is passed over).
   * @throws UnpinError (from `@ts-ebpf/syscall`) when the removal fails otherwise, naming the path
   */
  unpin(path: string): void {
    unpin(path);
  }

  /**
   * Replaces the attached program (atomically for bpf_links; `oldProgram` makes the swap
   * fail unless that program is still the attached one).
   * @throws LinkOperationError for an attachment whose program cannot be swapped (netfilter,
   *   perf event, raw tracepoint and tracing links; legacy attachments without an update), for
   *   `oldProgram` that is not the attached one, and for `oldProgram` on a legacy attachment
   *   (the kernel checks it for bpf_links only)
   */
  update(program: Program, oldProgram?: Program): void {
    this.#check();
    if (this.#children.length > 0) {
      for (const c of this.#children) c.update(program, oldProgram);
    } else if (this.#parts.fixedProgram !== undefined) {
      throw new LinkOperationError(this.kind, 'update', this.#parts.fixedProgram);
    } else if (this.#fd) {
      this.#updateLink(this.#fd.fd, program, oldProgram);
    } else if (this.#parts.update) {
      if (oldProgram)
        throw new LinkOperationError(
          this.kind,
          'update (with oldProgram)',
          'oldProgram is checked by the kernel for bpf_links only; this legacy attachment swaps the program it attached itself',
        );
      this.#parts.update(program);
    } else {
      throw new LinkOperationError(this.kind, 'update', 'this attach point has no update');
    }
  }

  /** BPF_LINK_UPDATE, with BPF_F_REPLACE when `oldProgram` is given; its EPERM explained. */
  #updateLink(fd: number, program: Program, oldProgram: Program | undefined): void {
    try {
      linkUpdate(
        fd,
        program.fd,
        oldProgram ? { oldProgFd: oldProgram.fd, flags: BpfAttachFlag.REPLACE } : {},
      );
    } catch (e) {
      if (oldProgram && e instanceof BpfSyscallError && e.code === 'EPERM')
        throw new LinkOperationError(
          this.kind,
          'update',
          `the attached program is not oldProgram${oldProgram.name ? ` '${oldProgram.name}'` : ''} (another update swapped it)`,
          { cause: e },
        );
      if (e instanceof BpfSyscallError && e.code === 'EINVAL')
        throw new LinkOperationError(
          this.kind,
          'update',
          `the kernel refused the new program (EINVAL): program${program.name ? ` '${program.name}'` : ''} (${progTypeLabel(program.type)}) must have the attached program's type and expected attach type${
            this.kind === 'pinned' || this.kind === 'link'
              ? ", or this link's type has no program swap (netfilter, perf event, tracing …)"
              : ''
          }`,
          { cause: e },
        );
      throw e;
    }
  }

  /** Detaches a bpf_link while keeping its fd (BPF_LINK_DETACH); `close()` still has to be called. */
  detach(): void {
    this.#check();
    if (this.#fd) linkDetach(this.#fd.fd);
    else this.#runDetach();
    for (const c of this.#children) c.detach();
  }

  #runDetach(): void {
    const legacy = this.#legacy;
    this.#legacy = undefined;
    legacy?.detach?.();
  }

  /** Detaches and releases everything; later calls do nothing. Throws the first failure, after trying every step. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let failed = false;
    let first: unknown;
    for (const c of this.#children) {
      try {
        c.close();
      } catch (e) {
        if (!failed) [failed, first] = [true, e];
      }
    }
    try {
      this.#runDetach();
    } catch (e) {
      if (!failed) [failed, first] = [true, e];
    }
    try {
      this.#fd?.close();
    } catch (e) {
      if (!failed) [failed, first] = [true, e];
    }
    for (const x of this.#extra) {
      try {
        x.close();
      } catch (e) {
        if (!failed) [failed, first] = [true, e];
      }
    }
    if (failed) throw first;
  }

  /** Same as {@link Link.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Why a kind of bpf_link has no `update()` (its kernel link type has no program swap). */
export function noProgramSwap(what: string): string {
  return `the kernel cannot swap the program of ${what} link (it has no update); attach the new program, then close this link`;
}

/** Runs `attach(fd)` and closes `fd` if the attach throws (fds made for an attach). */
export function closeOnError<T>(fd: number, attach: () => T): T {
  try {
    return attach();
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

/**
 * A reference of our own to a program that a legacy attach (PROG_ATTACH, netlink) put in
 * place: detaching names the exact program even after the caller closed theirs.
 */
export function holdProgram(program: Program): OwnedFd {
  // A duplicate of the caller's fd refers to the same program and outlives the caller's close.
  return new OwnedFd(dupFd(program.fd), 'attached program');
}
