// Node-only module (kernel access); the rest of src/ is pure TypeScript.
/// <reference types="node" />
import {
  BpfSyscallError,
  type BpfToken,
  type BtfInfo,
  btfGetFdById,
  btfInfo,
  btfLoad,
  type ClosesLater,
  closeLater,
  OwnedFd,
  syscallError,
} from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { Btf } from './btf.js';
import { BtfBuilder } from './builder.js';
import { BtfError } from './errors.js';
import { parseHeader } from './header.js';
import { btfLogReason } from './verifier-log.js';

/** Options for {@link loadBtf}. */
export interface BtfLoadOptions {
  /** Kernel log level (default 1 when a log buffer is used). */
  readonly logLevel?: number;
  /**
   * Size of the kernel log buffer in bytes (default 1 MiB). 0 loads without a log, which spares
   * the buffer on every load that succeeds; when the kernel refuses the BTF, {@link loadBtf} then
   * loads it once more with a 1 MiB log at `logLevel` (default 1), as libbpf does, so that the
   * error still says why (its message says the load was retried).
   */
  readonly logSize?: number;
  /**
   * A BPF token (`BpfToken` from `@ts-ebpf/syscall`, Linux 6.9+): loads the BTF under it, in a
   * user namespace whose bpffs delegates `btf_load`.
   */
  readonly token?: BpfToken;
}

/**
 * BTF loaded into the kernel. `close()` is idempotent, `using` closes it, and
 * reading `fd` after close throws `ObjectClosedError`.
 */
export class LoadedBtf implements Disposable, ClosesLater {
  readonly #owned: OwnedFd;

  /** @param fd - a BTF file descriptor to take ownership of */
  constructor(fd: number) {
    this.#owned = new OwnedFd(fd, 'BTF fd');
  }

  /**
   * Opens the BTF object with this kernel id (BPF_BTF_GET_FD_BY_ID): vmlinux's, a module's, or
   * one a loader handed the kernel with a program or map.
   * @throws NotFoundError (from `@ts-ebpf/syscall`) when no BTF object has this id
   */
  static fromId(id: number): LoadedBtf {
    return new LoadedBtf(btfGetFdById(id));
  }

  /**
   * The kernel's view of it: `id`, `name` (`vmlinux`, a module's name, or `''` for BTF a
   * loader handed in), `btfSize`, and `kernelBtf` (vmlinux or a module's).
   */
  info(): BtfInfo {
    return btfInfo(this.fd);
  }

  /** The BTF object's file descriptor. @throws ObjectClosedError after close */
  get fd(): number {
    return this.#owned.fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#owned.closed;
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    this.#owned.close();
  }

  /**
   * Gives the descriptor up to `closeTogether` (`@ts-ebpf/syscall`), which closes it with others:
   * the BTF counts as closed from here. @returns the number, undefined if closed already
   */
  [closeLater](): number | undefined {
    return this.#owned.closed ? undefined : this.#owned.release();
  }

  /** Same as {@link LoadedBtf.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Loads BTF into the kernel with BPF_BTF_LOAD. The BTF must stand alone: the command takes no
 * base, so split BTF (a {@link Btf} or {@link BtfBuilder} with a base) is refused before the
 * kernel is asked; refer to vmlinux types by their kernel ids instead. So is BTF in the other
 * byte order than this machine's, and raw bytes whose header is corrupt.
 * @param btf - raw BTF bytes, a parsed {@link Btf} or a {@link BtfBuilder}
 * @throws BtfError for split BTF, BTF in the other byte order, or a corrupt header
 *
 * With `logSize: 0` the first load asks for no log; if the kernel refuses it, the BTF is loaded a
 * second time with a log (see {@link BtfLoadOptions.logSize}), and that load's result is the
 * answer: its error, or (should the kernel take it then) the fd.
 * @throws BpfSyscallError (from `@ts-ebpf/syscall`) when the kernel refuses the BTF: the
 *   kernel's log is in `.log`, and the line where its verifier stopped (type, member, reason)
 *   in the message; after a retry for `logSize: 0`, `cause` is the first, logless refusal
 */
export function loadBtf(btf: Uint8Array | Btf | BtfBuilder, options: BtfLoadOptions = {}): LoadedBtf {
  if (!(btf instanceof Uint8Array) && btf.base) {
    throw new BtfError(
      `split BTF (its ids start at ${btf.base.typeCount}, after its base's) cannot be loaded: BPF_BTF_LOAD takes BTF that stands alone, with no base`,
    );
  }
  const bytes = btf instanceof Btf ? btf.bytes : btf instanceof BtfBuilder ? btf.toBytes() : btf;
  const order = btf instanceof Btf ? btf.byteOrder : parseHeader(bytes).byteOrder;
  if (order !== HOST_BYTE_ORDER) {
    throw new BtfError(
      `BTF is ${order}-endian and this kernel reads only ${HOST_BYTE_ORDER}-endian BTF: build it with { byteOrder: HOST_BYTE_ORDER }`,
    );
  }
  let fd: number;
  try {
    fd = btfLoad({
      btf: bytes,
      ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}),
      ...(options.logSize !== undefined ? { logSize: options.logSize } : {}),
      btfTokenFd: options.token?.fd,
    });
  } catch (e) {
    if (options.logSize !== 0 || !(e instanceof BpfSyscallError)) throw explained(e);
    fd = loadWithLog(bytes, options.logLevel ?? 1, e, options.token);
  }
  return new LoadedBtf(fd);
}

/** Size of the log of the retry after a logless load the kernel refused (libbpf's default too). */
const RETRY_LOG_SIZE = 1 << 20;

/** The second load of BTF the kernel refused without a log: with one, to say why. */
function loadWithLog(
  bytes: Uint8Array,
  logLevel: number,
  logless: BpfSyscallError,
  token: BpfToken | undefined,
): number {
  try {
    return btfLoad({ btf: bytes, logLevel, logSize: RETRY_LOG_SIZE, btfTokenFd: token?.fd });
  } catch (e) {
    throw explained(e, logless);
  }
}

/**
 * The error of a refused load with the line the kernel's BTF verifier stopped at in its message;
 * `e` itself when its log names none. After a retry, `logless` (the first refusal) is the cause.
 */
function explained(e: unknown, logless?: BpfSyscallError): unknown {
  if (!(e instanceof BpfSyscallError)) return e;
  const reason = e.log ? btfLogReason(e.log) : undefined;
  if (reason === undefined && logless === undefined) return e;
  const why = reason === undefined ? 'the kernel wrote no reason in its log' : `BTF verifier: ${reason}`;
  return syscallError(
    e.errno,
    {
      syscall: e.syscall,
      ...(e.command !== undefined ? { command: e.command } : {}),
      log: e.log,
      ...(e.logTrueSize !== undefined ? { logTrueSize: e.logTrueSize } : {}),
      detail: logless ? `${why} (loaded again with a log: logSize 0 asked for none)` : why,
    },
    { cause: logless ?? e },
  );
}
