/**
 * The new mount API (fsopen, fsconfig, fsmount) and pidfd_getfd: what a privileged process needs
 * to configure a filesystem another process (in a user namespace) opened, such as a bpffs that
 * delegates BPF commands to BPF tokens.
 */
import { BpfArgumentError } from '../errors.js';
import { forgetFd } from '../fd-cache.js';
import { checkCString, checkFd, checkInt, checkU32, INT_MAX } from '../validate.js';
import { fail, n } from './native.js';

/** `cmd` of `fsconfig(2)` (linux/mount.h, `enum fsconfig_command`): the ones that take no binary value. */
export const FsconfigCmd = Object.freeze({
  /** Sets the flag option `key` (no value). */
  SET_FLAG: 0,
  /** Sets the option `key` to the string `value`. */
  SET_STRING: 1,
  /** Creates the superblock from the options set. */
  CMD_CREATE: 6,
  /** Applies the options set to the superblock of a reconfiguration context. */
  CMD_RECONFIGURE: 7,
  /** Like CMD_CREATE, but fails with EBUSY rather than reuse an existing superblock (6.6+). */
  CMD_CREATE_EXCL: 8,
} as const);
/** A value of {@link FsconfigCmd}. */
export type FsconfigCmd = (typeof FsconfigCmd)[keyof typeof FsconfigCmd];

/** `FSOPEN_CLOEXEC` and `FSMOUNT_CLOEXEC` (linux/mount.h): both are 1. */
const CLOEXEC = 1;

/** `fsopen(fsname, flags)`: a filesystem context for `fsname` (`'bpf'`), owned by the caller's user namespace. */
export function sysFsopen(fsname: string, flags: number = CLOEXEC): number {
  checkCString(fsname, 'fsname', 255);
  checkU32(flags, 'flags');
  const ret = n().strInt(n().nr.fsopen, fsname, flags);
  if (ret < 0) fail({ syscall: 'fsopen', detail: fsname });
  forgetFd(ret);
  return ret;
}

/**
 * `fsconfig(fd, cmd, key, value, aux)` with a string value (or none): sets an option of the
 * filesystem context `fd`, or creates its superblock (`FsconfigCmd.CMD_CREATE`).
 */
export function sysFsconfig(
  fd: number,
  cmd: FsconfigCmd,
  key: string | null = null,
  value: string | null = null,
  aux = 0,
): void {
  checkFd(fd);
  if (!(Object.values(FsconfigCmd) as number[]).includes(cmd)) {
    throw new BpfArgumentError('cmd', `expected one of FsconfigCmd's values (0, 1, 6, 7, 8), got ${cmd}`);
  }
  if (key !== null) checkCString(key, 'key', 255);
  if (value !== null) checkCString(value, 'value');
  checkInt(aux, 'aux', 0, INT_MAX);
  if (n().fsconfig(n().nr.fsconfig, fd, cmd, key, value, aux) < 0) {
    fail({ syscall: 'fsconfig', detail: key === null ? `fd ${fd}, cmd ${cmd}` : `fd ${fd}, ${key}` });
  }
}

/** `fsmount(fd, flags, attrFlags)`: a detached mount of the superblock made in the context `fd` (an O_PATH fd). */
export function sysFsmount(fd: number, flags: number = CLOEXEC, attrFlags = 0): number {
  checkFd(fd);
  checkU32(flags, 'flags');
  checkU32(attrFlags, 'attrFlags');
  const ret = n().int3(n().nr.fsmount, fd, flags, attrFlags);
  if (ret < 0) fail({ syscall: 'fsmount', detail: `fd ${fd}` });
  forgetFd(ret);
  return ret;
}

/** `pidfd_getfd(pidfd, targetfd, 0)`: a duplicate, in this process, of the process's fd `targetfd`. */
export function sysPidfdGetfd(pidfd: number, targetfd: number): number {
  checkFd(pidfd, 'pidfd');
  checkFd(targetfd, 'targetfd');
  const ret = n().int3(n().nr.pidfd_getfd, pidfd, targetfd, 0);
  if (ret < 0) fail({ syscall: 'pidfd_getfd', detail: `fd ${targetfd} of pidfd ${pidfd}` });
  forgetFd(ret);
  return ret;
}
