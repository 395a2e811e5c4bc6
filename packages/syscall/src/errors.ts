import { readFileSync } from 'node:fs';
import { EbpfError } from '@ts-ebpf/uapi';
import { errnoName } from './errno.js';
import { inInitialUserNamespace } from './userns.js';

const CAP_SYS_ADMIN = 21;
const CAP_BPF = 39;

/** True when this process holds CAP_BPF or CAP_SYS_ADMIN (read from /proc, no system call of ours). */
function holdsBpfCapability(): boolean {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'));
    const caps = line ? BigInt(`0x${line.slice(7).trim()}`) : 0n;
    return ((caps >> BigInt(CAP_BPF)) & 1n) === 1n || ((caps >> BigInt(CAP_SYS_ADMIN)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Context a failed system call was made in, used to choose a hint. */
export interface SyscallErrorContext {
  /** The system call (`'bpf'`, `'perf_event_open'`, `'openat'` …). */
  readonly syscall: string;
  /** For `bpf()`, the command name (`'BPF_MAP_CREATE'`); for ioctl, the request. */
  readonly command?: string;
  /** Extra words about what was being done (a path, a map name). */
  readonly detail?: string;
  /** The verifier or BTF log the kernel wrote, when one was requested. */
  readonly log?: string;
  /** The buffer size the whole log needs (BPF_PROG_LOAD and BPF_BTF_LOAD, kernel 6.4+). */
  readonly logTrueSize?: number;
  /** The command was made under a BPF token (its EPERM is then the token's refusal). */
  readonly token?: boolean;
}

/**
 * A system call failed. Carries the errno, its name, the syscall and command,
 * and a hint for the usual causes.
 */
export class BpfSyscallError extends EbpfError {
  /** The errno value the kernel returned. */
  readonly errno: number;
  /** The errno's symbolic name, e.g. `'EPERM'`. */
  readonly code: string;
  /** The failed system call. */
  readonly syscall: string;
  /** The bpf() command or ioctl request, when there is one. */
  readonly command: string | undefined;
  /** A suggestion for the common causes of this errno with this command. */
  readonly hint: string | undefined;
  /** The log the kernel wrote (verifier or BTF), when one was requested. */
  readonly log: string | undefined;
  /** The log size the kernel needed, when it reported one. */
  readonly logTrueSize: number | undefined;

  /**
   * @param errno - the errno the kernel returned
   * @param context - the system call, command and subject, for the message and hint
   * @param options - `cause`: the error this one wraps
   */
  constructor(errno: number, context: SyscallErrorContext, options?: { readonly cause?: unknown }) {
    const code = errnoName(errno);
    const what = context.command ? `${context.syscall}(${context.command})` : context.syscall;
    const hint = hintFor(code, context);
    const detail = context.detail ? ` [${context.detail}]` : '';
    super(`${what} failed: ${code} (errno ${errno})${detail}${hint ? ` — ${hint}` : ''}`, options);
    this.name = 'BpfSyscallError';
    this.errno = errno;
    this.code = code;
    this.syscall = context.syscall;
    this.command = context.command;
    this.hint = hint;
    this.log = context.log;
    this.logTrueSize = context.logTrueSize;
  }
}

/** EPERM or EACCES: missing capability, lockdown, or a refused program. */
export class PermissionError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext, options?: { readonly cause?: unknown }) {
    super(errno, context, options);
    this.name = 'PermissionError';
  }
}

/** ENOENT: no such element, object, id or path. */
export class NotFoundError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext, options?: { readonly cause?: unknown }) {
    super(errno, context, options);
    this.name = 'NotFoundError';
  }
}

/** EINVAL or E2BIG: the kernel refused an argument as invalid or past a limit. */
export class InvalidArgumentError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext, options?: { readonly cause?: unknown }) {
    super(errno, context, options);
    this.name = 'InvalidArgumentError';
  }
}

/** EBADF: the file descriptor is closed or of the wrong kind. */
export class BadFileDescriptorError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext, options?: { readonly cause?: unknown }) {
    super(errno, context, options);
    this.name = 'BadFileDescriptorError';
  }
}

/**
 * EOPNOTSUPP or ENOTSUPP (524): the kernel does not support the operation for this object, type
 * or attach point: the map type has no such command, the program type cannot be attached there,
 * or the kernel was built without the feature.
 */
export class UnsupportedError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext, options?: { readonly cause?: unknown }) {
    super(errno, context, options);
    this.name = 'UnsupportedError';
  }
}

const SUBCLASS: Readonly<Record<string, typeof BpfSyscallError>> = {
  EPERM: PermissionError,
  EACCES: PermissionError,
  ENOENT: NotFoundError,
  EINVAL: InvalidArgumentError,
  E2BIG: InvalidArgumentError,
  EOPNOTSUPP: UnsupportedError,
  ENOTSUPP: UnsupportedError,
  EBADF: BadFileDescriptorError,
};

/** Builds the most specific {@link BpfSyscallError} subclass for `errno`. */
export function syscallError(
  errno: number,
  context: SyscallErrorContext,
  options?: { readonly cause?: unknown },
): BpfSyscallError {
  const Subclass = SUBCLASS[errnoName(errno)] ?? BpfSyscallError;
  return new Subclass(errno, context, options);
}

// Map commands that read the map: EPERM from them, with capabilities held, is a map that user
// space may not read (created with BPF_F_WRONLY, or its fd opened with BPF_F_WRONLY).
const MAP_READS = new Set([
  'BPF_MAP_LOOKUP_ELEM',
  'BPF_MAP_GET_NEXT_KEY',
  'BPF_MAP_LOOKUP_BATCH',
  'BPF_MAP_LOOKUP_AND_DELETE_ELEM',
  'BPF_MAP_LOOKUP_AND_DELETE_BATCH',
]);

// Map commands that write to the map: EPERM from them, with capabilities held, is a map that is
// read-only for user space (frozen, created with BPF_F_RDONLY, or its fd opened with BPF_F_RDONLY).
const MAP_WRITES = new Set([
  'BPF_MAP_UPDATE_ELEM',
  'BPF_MAP_DELETE_ELEM',
  'BPF_MAP_LOOKUP_AND_DELETE_ELEM',
  'BPF_MAP_UPDATE_BATCH',
  'BPF_MAP_DELETE_BATCH',
  'BPF_MAP_LOOKUP_AND_DELETE_BATCH',
]);

let lockdown: string | null | undefined;

/**
 * The kernel's lockdown mode (`'integrity'`, `'confidentiality'`), or null when it is off or
 * cannot be read (securityfs not mounted). Read once.
 */
export function lockdownMode(): string | null {
  if (lockdown === undefined) {
    try {
      const text = readFileSync('/sys/kernel/security/lockdown', 'utf8');
      const mode = /\[(\w+)\]/.exec(text)?.[1] ?? null;
      lockdown = mode === 'none' ? null : mode;
    } catch {
      lockdown = null;
    }
  }
  return lockdown;
}

// Hints say what an errno means for the command; the packages above add the cause they can
// tell from context (the map's settings, the program type, the attach point).
function hintFor(code: string, { syscall, command, log, token }: SyscallErrorContext): string | undefined {
  // A load that wrote a log was refused by a checker: the program verifier for BPF_PROG_LOAD,
  // the BTF verifier (kernel/bpf/btf.c) for BPF_BTF_LOAD.
  const verifier = (command === 'BPF_PROG_LOAD' || command === 'BPF_BTF_LOAD') && log;
  const rejected =
    command === 'BPF_BTF_LOAD'
      ? 'the BTF verifier rejected the BTF data: read the log'
      : 'the verifier rejected the program: read the log';
  switch (code) {
    case 'EPERM': {
      // EPERM from BPF_BTF_LOAD is a missing privilege, never the BTF verifier's verdict.
      if (verifier && command === 'BPF_PROG_LOAD') return rejected;
      const mode = lockdownMode();
      const locked = mode
        ? `; the kernel is in lockdown mode '${mode}', which forbids some BPF features`
        : '';
      const elementAccess = command !== undefined && (MAP_READS.has(command) || MAP_WRITES.has(command));
      if (token) {
        return `the BPF token does not allow it: its bpffs must delegate ${command ?? 'the command'} (delegate_cmds) and the map, program and attach type (delegate_maps, delegate_progs, delegate_attachs)${locked}`;
      }
      if (syscall === 'bpf' && !elementAccess && !inInitialUserNamespace()) {
        return `the process is in a user namespace, where its capabilities do not count for bpf(): pass a BPF token (BpfToken) made from a bpffs that delegates this command and type${locked}`;
      }
      if (!holdsBpfCapability()) {
        return `needs CAP_BPF (plus CAP_PERFMON/CAP_NET_ADMIN for some program types) or CAP_SYS_ADMIN${locked}`;
      }
      // lookup-and-delete both reads and writes: either may be what the fd lacks
      const reads = command !== undefined && MAP_READS.has(command);
      const writes = command !== undefined && MAP_WRITES.has(command);
      if (reads && writes)
        return `the map cannot be both read and written from user space: it is frozen, created with BPF_F_RDONLY or BPF_F_WRONLY, or its fd was opened with one of them${locked}`;
      if (writes)
        return `the map is read-only for user space (frozen, created with BPF_F_RDONLY, or its fd was opened read-only with BPF_F_RDONLY)${locked}`;
      if (reads)
        return `the map cannot be read from user space (created with BPF_F_WRONLY, or its fd was opened write-only with BPF_F_WRONLY)${locked}`;
      return `not permitted for this object, type or attach point although the process holds CAP_BPF or CAP_SYS_ADMIN${locked}`;
    }
    case 'EACCES':
      if (verifier) return rejected;
      return command === 'BPF_PROG_LOAD'
        ? 'the verifier rejected the program: load it again with a log level (logLevel 1) for its reason'
        : 'permission denied: check capabilities and file modes';
    case 'ENOENT':
      if (command === 'BPF_OBJ_GET') return 'nothing is pinned at this path';
      return syscall === 'bpf' ? 'no such element or object' : 'no such file or directory';
    case 'EINVAL':
      if (verifier) return rejected;
      return command
        ? `the kernel refused an argument of ${command} as invalid`
        : 'an argument was refused as invalid';
    case 'E2BIG':
      if (command === 'BPF_MAP_UPDATE_ELEM' || command === 'BPF_MAP_UPDATE_BATCH') {
        return 'no room: the map holds max_entries elements, or an array index is not below max_entries';
      }
      return `a value passed to ${command ?? syscall} is past a kernel limit, or the attr has non-zero bytes this kernel does not know`;
    case 'ENOSPC':
      if (command === 'BPF_PROG_LOAD' || command === 'BPF_BTF_LOAD') {
        return 'the log buffer is too small: retry with a larger logSize';
      }
      if (command === 'BPF_PROG_TEST_RUN')
        return 'the output buffer is smaller than what the program produced';
      if (command === 'BPF_MAP_LOOKUP_BATCH' || command === 'BPF_MAP_LOOKUP_AND_DELETE_BATCH') {
        return 'a hash bucket holds more elements than count: retry with a larger count';
      }
      return undefined;
    case 'EBADF':
      return 'the file descriptor is closed or not of the expected kind';
    case 'ENOMEM':
      return 'out of memory; on kernels before 5.11 raise RLIMIT_MEMLOCK';
    case 'EOPNOTSUPP':
    case 'ENOTSUPP':
      return command
        ? `the kernel does not support ${command} for this object or type`
        : 'the kernel does not support the operation for this object';
    case 'ENOSYS':
      return 'this kernel does not implement the system call';
    case 'EEXIST':
      if (command === 'BPF_OBJ_PIN') return 'something is already pinned at this path';
      return command?.startsWith('BPF_MAP_') ? 'the key is present (BPF_NOEXIST)' : 'already exists';
    case 'EBUSY':
      return command === 'BPF_PROG_ATTACH' ||
        command === 'BPF_LINK_CREATE' ||
        command === 'BPF_RAW_TRACEPOINT_OPEN'
        ? 'something is already attached here'
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Bad input detected before the system call was made: a negative fd, a wrong
 * buffer size, a string with a NUL byte, a number out of range.
 */
export class BpfArgumentError extends EbpfError {
  /** The argument that was wrong. */
  readonly argument: string;
  /**
   * @param argument - the argument's name, as the message shows it
   * @param message - what is wrong with it
   * @param options - `cause`: the error this one wraps
   */
  constructor(argument: string, message: string, options?: { readonly cause?: unknown }) {
    super(`invalid ${argument}: ${message}`, options);
    this.name = 'BpfArgumentError';
    this.argument = argument;
  }
}

/**
 * A buffer handed to a system call is detached, or shorter than what the kernel would read or
 * write through it: refused before the call, so the kernel never touches memory past it.
 */
export class BufferSizeError extends BpfArgumentError {
  /** The command or system call the buffer was for (`'BPF_MAP_LOOKUP_ELEM'`). */
  readonly command: string;
  /** The buffer's length in bytes (0 when detached). */
  readonly given: number;
  /** The bytes the kernel reads or writes through it. */
  readonly needed: number;
  /** True when the buffer's ArrayBuffer was detached (transferred). */
  readonly detached: boolean;

  /**
   * @param command - the command the buffer was for
   * @param argument - the argument's name (`'value'`, `'keys'`, `'dataOut'`)
   * @param given - the buffer's length
   * @param needed - what the kernel reads or writes
   * @param why - where `needed` comes from (`'map fd 5: value_size 8'`), for the message
   * @param detached - the buffer was detached
   */
  constructor(
    command: string,
    argument: string,
    given: number,
    needed: number,
    why: string,
    detached = false,
  ) {
    super(
      argument,
      detached
        ? `${command} was given a detached buffer (its ArrayBuffer was transferred)${needed > 0 ? `; ${why} needs ${needed} bytes` : ''}`
        : `${command} was given ${given} bytes, ${why} needs ${needed}`,
    );
    this.name = 'BufferSizeError';
    this.command = command;
    this.given = given;
    this.needed = needed;
    this.detached = detached;
  }
}

/**
 * A pin path that cannot work, found before the call: its directory does not exist, or is not on
 * a bpffs mount (pins live only on bpffs; `ensureBpffs()`, or `mount -t bpf bpf /sys/fs/bpf` from a shell, mounts it).
 */
export class PinPathError extends BpfArgumentError {
  /** The path given. */
  readonly path: string;
  /** The directory that is missing or not on bpffs. */
  readonly directory: string;
  /** What is wrong with it. */
  readonly reason: 'missing-directory' | 'not-bpffs';

  /**
   * @param command - `'BPF_OBJ_PIN'` or `'BPF_OBJ_GET'`
   * @param path - the pin path
   * @param directory - the directory at fault
   * @param reason - what is wrong with it
   * @param detail - the filesystem found, or the fs error's words
   * @param options - `cause`: the fs error, when there is one
   */
  constructor(
    command: string,
    path: string,
    directory: string,
    reason: 'missing-directory' | 'not-bpffs',
    detail: string,
    options?: { readonly cause?: unknown },
  ) {
    super(
      'path',
      reason === 'missing-directory'
        ? `${command} '${path}': the directory '${directory}' does not exist (${detail})`
        : `${command} '${path}': '${directory}' is not on a bpffs mount (it is ${detail}); pins live on bpffs, which ensureBpffs() (or, from a shell, \`mount -t bpf bpf /sys/fs/bpf\`) mounts at /sys/fs/bpf`,
      options,
    );
    this.name = 'PinPathError';
    this.path = path;
    this.directory = directory;
    this.reason = reason;
  }
}

/**
 * Removing a pin, or a directory made for one, failed otherwise than by its being gone already
 * (or, for a directory, by holding something else): a path component that is not a directory
 * (ENOTDIR), a directory where the pin should be (EISDIR), a mount point (EBUSY), missing
 * permission (EACCES, EPERM). Names the path, the pin it was removed for and the system call;
 * `cause` is the filesystem's error.
 */
export class UnpinError extends EbpfError {
  /** The path that could not be removed: the pin, or a directory made for it. */
  readonly path: string;
  /** The pin path the removal was for (equal to `path` when the pin itself failed). */
  readonly pin: string;
  /** The system call that failed: `unlink` for the pin, `rmdir` for a directory. */
  readonly operation: 'unlink' | 'rmdir';
  /** The errno's name (`'ENOTDIR'`), as the filesystem error gave it. */
  readonly code: string | undefined;

  /**
   * @param operation - `unlink` (the pin) or `rmdir` (a directory made for it)
   * @param path - the path that could not be removed
   * @param pin - the pin path the removal was for
   * @param cause - the filesystem's error
   */
  constructor(operation: 'unlink' | 'rmdir', path: string, pin: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const subject =
      operation === 'unlink' ? `the pin '${path}'` : `the directory '${path}' made for the pin '${pin}'`;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot remove ${subject}: ${operation} failed: ${why}`, { cause });
    this.name = 'UnpinError';
    this.path = path;
    this.pin = pin;
    this.operation = operation;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * A read outside a bounded window of bytes (a memory mapping, a ring or perf record): the offset
 * is negative or not an integer, or the read runs past the end. Names the window, what was asked
 * and how long the window is.
 */
export class OutOfBoundsError extends EbpfError {
  /** The window read, as the message names it (`'mapped memory'`, `'ring buffer record'`). */
  readonly subject: string;
  /** The offset asked for. */
  readonly offset: number;
  /** The bytes asked for. */
  readonly size: number;
  /** The window's length in bytes. */
  readonly length: number;

  /**
   * @param subject - the window, as the message names it
   * @param offset - the offset asked for
   * @param size - the bytes asked for
   * @param length - the window's length
   */
  constructor(subject: string, offset: number, size: number, length: number) {
    super(`${subject}: read of ${size} bytes at ${offset} is outside its ${length} bytes`);
    this.name = 'OutOfBoundsError';
    this.subject = subject;
    this.offset = offset;
    this.size = size;
    this.length = length;
  }
}

/** An object (map, program, link, fd, mapping) was used after `close()`. */
export class ObjectClosedError extends EbpfError {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = 'ObjectClosedError';
  }
}

/** This process's architecture has no syscall table. */
export class UnsupportedArchitectureError extends EbpfError {
  /** The `process.arch` value that is not supported. */
  readonly arch: string;
  constructor(arch: string, supported: readonly string[]) {
    super(`architecture '${arch}' is not supported (supported: ${supported.join(', ')})`);
    this.name = 'UnsupportedArchitectureError';
    this.arch = arch;
  }
}

/**
 * koffi (the FFI every system call of this package goes through) or the C library could not be
 * loaded: thrown by the first system call, never at import. The loader's error is the `cause`.
 */
export class FfiUnavailableError extends EbpfError {
  constructor(what: string, options?: { readonly cause?: unknown }) {
    super(`cannot load ${what}, which @ts-ebpf/syscall makes system calls through`, options);
    this.name = 'FfiUnavailableError';
  }
}

/**
 * This thread's event loop cannot watch a descriptor (epoll refuses to: a regular file, say; the
 * refusal is the `cause`), or reported an error condition on one it watched. The message names
 * the descriptor.
 */
export class FdWatchError extends EbpfError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'FdWatchError';
  }
}

/**
 * A helper thread of system calls (started for program loads on several threads) failed: Node
 * would not start it, it could not load koffi or the C library, it stopped, or a call threw. The
 * helper's error is the `cause` when there is one. The calls a failed helper had not taken are
 * made by the calling thread, so its batch completes; the failure is then reported by the next
 * batch, which makes no call (the batch after it starts a new helper). A call that threw, or an
 * asynchronous batch whose every helper died in the middle of a call, fails its own batch, whose
 * other descriptors are closed.
 */
export class HelperThreadError extends EbpfError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'HelperThreadError';
  }
}
