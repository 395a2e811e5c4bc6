import { readFileSync } from 'node:fs';
import { EbpfError } from '@ts-ebpf/uapi';
import { errnoName } from './errno.js';

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

  constructor(errno: number, context: SyscallErrorContext) {
    const code = errnoName(errno);
    const what = context.command ? `${context.syscall}(${context.command})` : context.syscall;
    const hint = hintFor(code, context);
    const detail = context.detail ? ` [${context.detail}]` : '';
    super(`${what} failed: ${code} (errno ${errno})${detail}${hint ? ` — ${hint}` : ''}`);
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
  constructor(errno: number, context: SyscallErrorContext) {
    super(errno, context);
    this.name = 'PermissionError';
  }
}

/** ENOENT: no such element, object, id or path. */
export class NotFoundError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext) {
    super(errno, context);
    this.name = 'NotFoundError';
  }
}

/** EINVAL, E2BIG, EOPNOTSUPP, ENOTSUPP: the kernel refused the arguments or lacks the feature. */
export class InvalidArgumentError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext) {
    super(errno, context);
    this.name = 'InvalidArgumentError';
  }
}

/** EBADF: the file descriptor is closed or of the wrong kind. */
export class BadFileDescriptorError extends BpfSyscallError {
  constructor(errno: number, context: SyscallErrorContext) {
    super(errno, context);
    this.name = 'BadFileDescriptorError';
  }
}

const SUBCLASS: Readonly<Record<string, typeof BpfSyscallError>> = {
  EPERM: PermissionError,
  EACCES: PermissionError,
  ENOENT: NotFoundError,
  EINVAL: InvalidArgumentError,
  E2BIG: InvalidArgumentError,
  EOPNOTSUPP: InvalidArgumentError,
  ENOTSUPP: InvalidArgumentError,
  EBADF: BadFileDescriptorError,
};

/** Builds the most specific {@link BpfSyscallError} subclass for `errno`. */
export function syscallError(errno: number, context: SyscallErrorContext): BpfSyscallError {
  const Subclass = SUBCLASS[errnoName(errno)] ?? BpfSyscallError;
  return new Subclass(errno, context);
}

function hintFor(code: string, { syscall, command, log }: SyscallErrorContext): string | undefined {
  const pinning = command === 'BPF_OBJ_PIN' || command === 'BPF_OBJ_GET';
  switch (code) {
    case 'EPERM':
      if (command === 'BPF_PROG_LOAD' && log) return 'the verifier rejected the program: read the log';
      if (holdsBpfCapability()) {
        return 'refused although the process holds CAP_BPF: kernel lockdown, or a feature this kernel does not allow (ftrace trampolines for fentry/fexit/lsm/freplace, probe_write_user)';
      }
      return 'needs CAP_BPF (plus CAP_PERFMON/CAP_NET_ADMIN for some program types) or root; or blocked by lockdown or a too low RLIMIT_MEMLOCK on kernels before 5.11';
    case 'EACCES':
      return command === 'BPF_PROG_LOAD'
        ? 'the verifier rejected the program: read the log'
        : 'permission denied: check capabilities and file modes';
    case 'ENOENT':
      if (pinning) return 'no such path: is bpffs mounted at /sys/fs/bpf (ensureBpffs())?';
      return syscall === 'bpf' ? 'no such element or object' : 'no such file or directory';
    case 'EINVAL':
      if (command === 'BPF_PROG_LOAD' && log) return 'the verifier rejected the program: read the log';
      if (pinning) return 'the path is not on a bpffs mount (ensureBpffs())';
      return 'invalid arguments, or a field this kernel does not know (feature too new for this kernel?)';
    case 'E2BIG':
      return 'a size is too large, or the attr has non-zero bytes this kernel does not understand';
    case 'ENOSPC':
      return command === 'BPF_PROG_LOAD' || command === 'BPF_BTF_LOAD'
        ? 'the log buffer is too small: retry with a larger logSize'
        : 'the map is full';
    case 'EBADF':
      return 'the file descriptor is closed or not of the expected kind';
    case 'ENOMEM':
      return 'out of memory; on kernels before 5.11 raise RLIMIT_MEMLOCK';
    case 'EOPNOTSUPP':
    case 'ENOTSUPP':
      return 'not supported by this kernel or for this object type';
    case 'ENOSYS':
      return 'this kernel does not implement the system call';
    case 'EEXIST':
      return 'already exists (pinned path in use, or key present with BPF_NOEXIST)';
    case 'EBUSY':
      return 'busy: something is already attached here';
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
  constructor(argument: string, message: string) {
    super(`invalid ${argument}: ${message}`);
    this.name = 'BpfArgumentError';
    this.argument = argument;
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
