/**
 * BPF tokens (Linux 6.9+): a file descriptor that lets a process in a user namespace use the BPF
 * commands, map types, program types and attach types a bpffs delegates to it.
 */
import { BpfCmd, BpfMapCreateFlag, EbpfError, errnoName, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { lazyAttr } from './attr.js';
import { bpfTry } from './bpf.js';
import { BpfArgumentError, syscallError } from './errors.js';
import { OwnedFd } from './fd.js';
import { sysClose, sysFcntlTry } from './ffi/files.js';
import { fileOpen, O } from './files.js';
import { TOKEN_CREATE } from './layouts.js';
import { objGetInfoByFd } from './object-commands.js';
import { checkCString, checkFd } from './validate.js';

const F_GETFL = 3;

/** Why BPF_TOKEN_CREATE refuses a bpffs, by errno (kernel/bpf/token.c). */
const TOKEN_REFUSALS: Readonly<Record<string, string>> = {
  EOPNOTSUPP:
    'the process is in the initial user namespace, where no token is made (it uses its own capabilities instead)',
  EPERM:
    "the bpffs was not created in this process's user namespace (fsopen('bpf') must run in the namespace that uses the token), or the process lacks CAP_BPF there",
  ENOENT:
    'the bpffs delegates nothing: its superblock was created without delegate_cmds, delegate_maps, delegate_progs or delegate_attachs',
  EINVAL: 'it is not the root directory of a bpffs mount',
  EBADF: 'it is not an open file descriptor (or an O_PATH one the kernel does not take)',
  EACCES: 'the process may not access the bpffs root directory',
};

/**
 * A BPF token could not be made from a bpffs: the path could not be opened as a directory, or
 * BPF_TOKEN_CREATE refused it. Names the bpffs (the path, or `fd N`) and the reason; `cause` is
 * the system call's typed error.
 */
export class BpfTokenError extends EbpfError {
  /** The bpffs the token was asked of: its path, or `fd N`. */
  readonly bpffs: string;
  /** The errno's name (`'EPERM'`), or undefined when the cause was no system call error. */
  readonly code: string | undefined;

  /**
   * @param bpffs - the path or `fd N` the token was asked of
   * @param reason - why it was refused, in words
   * @param cause - the typed error of the failed system call
   */
  constructor(bpffs: string, reason: string, cause: unknown) {
    super(`cannot create a BPF token from ${bpffs}: ${reason}`, { cause });
    this.name = 'BpfTokenError';
    this.bpffs = bpffs;
    const errno = (cause as { errno?: unknown } | null)?.errno;
    this.code = typeof errno === 'number' ? errnoName(errno) : undefined;
  }
}

const tokenAttr = lazyAttr(TOKEN_CREATE.SIZE);

/** BPF_TOKEN_CREATE on the bpffs root `fd`: the token's fd, or `-errno`. */
function tokenCreateTry(fd: number): number {
  const a = tokenAttr().reset();
  a.u32(TOKEN_CREATE.flags, 0).u32(TOKEN_CREATE.bpffs_fd, fd);
  return bpfTry(BpfCmd.TOKEN_CREATE, a, TOKEN_CREATE.SIZE);
}

/** Opens `path` (relative to `dirfd`) as a directory, or throws the token error naming `subject`. */
function openDirectory(path: string, subject: string, dirfd?: number): number {
  try {
    return dirfd === undefined
      ? fileOpen(path, O.O_RDONLY | O.O_DIRECTORY)
      : fileOpen(path, O.O_RDONLY | O.O_DIRECTORY, 0, dirfd);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'ENOTDIR'
          ? 'it is not a directory'
          : `it cannot be opened (${typeof code === 'string' ? code : (e as Error).message})`;
    throw new BpfTokenError(subject, reason, e);
  }
}

/** Makes the token from the bpffs root `fd` (opened for reading), or throws naming `subject`. */
function createFrom(fd: number, subject: string): number {
  const ret = tokenCreateTry(fd);
  if (ret >= 0) return ret;
  const cause = syscallError(-ret, { syscall: 'bpf', command: 'BPF_TOKEN_CREATE', detail: subject });
  throw new BpfTokenError(subject, TOKEN_REFUSALS[cause.code] ?? cause.message, cause);
}

/**
 * What a token allows (`struct bpf_token_info`): one bit per command (`BpfCmd`), map type
 * (`BpfMapType`), program type (`BpfProgType`) and attach type (`BpfAttachType`) number, as the
 * bpffs's `delegate_*` options set them.
 */
export interface BpfTokenInfo {
  readonly allowedCmds: bigint;
  readonly allowedMaps: bigint;
  readonly allowedProgs: bigint;
  readonly allowedAttachs: bigint;
}

/** `sizeof(struct bpf_token_info)`: four u64 bit sets. */
const TOKEN_INFO_SIZE = 32;

/**
 * A BPF token (Linux 6.9+): lets a process in a user namespace, without CAP_BPF in the initial
 * one, create the maps, load the programs and BTF, and make the attachments that the bpffs it
 * was made from delegates (its `delegate_cmds`, `delegate_maps`, `delegate_progs` and
 * `delegate_attachs` mount options). Pass it as the `token` option of map creation, program and
 * BTF loads; the kernel then checks capabilities against the token's user namespace.
 *
 * The bpffs must have been created (`fsopen('bpf')`) in the user namespace of the process that
 * makes the token, and its delegation options set by a process privileged in the initial user
 * namespace: the usual setup is a container runtime's (see the syscall-layer guide). Closing the
 * token (or `using`) closes its fd; objects made with it stay valid.
 */
export class BpfToken extends OwnedFd {
  /** The bpffs the token was made from: its path, or `fd N`. */
  readonly bpffs: string;

  private constructor(fd: number, bpffs: string) {
    super(fd, `BPF token from ${bpffs}`);
    this.bpffs = bpffs;
  }

  /**
   * What the token allows, read from the kernel (BPF_OBJ_GET_INFO_BY_FD, Linux 6.17+; older
   * kernels refuse it with `InvalidArgumentError`). `(info.allowedMaps >> BigInt(BpfMapType.HASH)) & 1n`
   * says whether hash maps are delegated.
   * @throws ObjectClosedError after close
   */
  info(): BpfTokenInfo {
    const b = new Uint8Array(TOKEN_INFO_SIZE);
    objGetInfoByFd(this.fd, b);
    const v = new DataView(b.buffer);
    const u64 = (at: number) => v.getBigUint64(at, HOST_LITTLE_ENDIAN);
    return { allowedCmds: u64(0), allowedMaps: u64(8), allowedProgs: u64(16), allowedAttachs: u64(24) };
  }

  /**
   * BPF_TOKEN_CREATE on a bpffs mount's root: `bpffs` is its path, or an fd of that root
   * directory (one opened for reading, or the O_PATH fd `fsmount` returns, which is reopened
   * here: the kernel takes no O_PATH fd). The fd stays the caller's.
   * @throws BpfTokenError naming the path or fd and the reason: not the root of a bpffs
   *   (`code` EINVAL), a bpffs that delegates nothing (ENOENT), made in another user namespace
   *   (EPERM), called in the initial user namespace (EOPNOTSUPP), a missing path (ENOENT)
   * @throws BpfArgumentError for a path with a NUL byte or a negative fd, before any system call
   */
  static create(bpffs: string | number): BpfToken {
    if (typeof bpffs === 'string') {
      checkCString(bpffs, 'bpffs');
      const subject = `'${bpffs}'`;
      const dir = openDirectory(bpffs, subject);
      try {
        return new BpfToken(createFrom(dir, subject), bpffs);
      } finally {
        sysClose(dir);
      }
    }
    checkFd(bpffs, 'bpffs');
    const subject = `fd ${bpffs}`;
    const flags = sysFcntlTry(bpffs, F_GETFL, 0);
    if (flags >= 0 && (flags & O.O_PATH) !== 0) {
      const dir = openDirectory('.', subject, bpffs);
      try {
        return new BpfToken(createFrom(dir, subject), subject);
      } finally {
        sysClose(dir);
      }
    }
    return new BpfToken(createFrom(bpffs, subject), subject);
  }
}

/**
 * `flags` (`map_flags`, `prog_flags` or `btf_flags`) with BPF_F_TOKEN_FD set when `tokenFd` is
 * given: since 6.9 the kernel reads a command's token_fd only with that flag (the uapi's one
 * `BPF_F_TOKEN_FD` for all three). A flag set without a token fd is refused, naming `flagsName`:
 * the kernel would take fd 0 for the token.
 */
export function withTokenFlag(
  flags: number,
  tokenFd: number | undefined,
  flagsName: string,
  fdName: string,
): number {
  if (tokenFd !== undefined) return (flags | BpfMapCreateFlag.TOKEN_FD) >>> 0;
  if (flags & BpfMapCreateFlag.TOKEN_FD) {
    throw new BpfArgumentError(flagsName, `has BPF_F_TOKEN_FD (0x10000) set but no ${fdName} is given`);
  }
  return flags;
}
