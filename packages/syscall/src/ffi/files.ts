/** File-descriptor system calls: open, read, write, close, ioctl, fcntl. */
import { forgetFd } from '../fd-cache.js';
import { fail, n } from './native.js';

/** `openat(dirfd, path, flags, mode)`. */
export function sysOpenat(dirfd: number, path: string, flags: number, mode: number): number {
  const ret = n().intStrInt2(n().nr.openat, dirfd, path, flags, mode);
  if (ret < 0) fail({ syscall: 'openat', detail: path });
  forgetFd(ret);
  return ret;
}

/** `read(fd, buf, count)`: bytes read. */
export function sysRead(fd: number, buf: Uint8Array, count: number): number {
  const ret = n().intPtrLong(n().nr.read, fd, buf, count);
  if (ret < 0) fail({ syscall: 'read', detail: `fd ${fd}` });
  return ret;
}

/** `read` that returns `-errno` instead of throwing (EAGAIN on non-blocking fds). */
export function sysReadTry(fd: number, buf: Uint8Array, count: number): number {
  const ret = n().intPtrLong(n().nr.read, fd, buf, count);
  return ret < 0 ? -n().koffi.errno() : ret;
}

/** `write(fd, buf, count)`: bytes written. */
export function sysWrite(fd: number, buf: Uint8Array, count: number): number {
  const ret = n().intPtrLong(n().nr.write, fd, buf, count);
  if (ret < 0) fail({ syscall: 'write', detail: `fd ${fd}` });
  return ret;
}

/** `close(fd)`. */
export function sysClose(fd: number): void {
  forgetFd(fd);
  if (n().int(n().nr.close, fd) < 0) fail({ syscall: 'close', detail: `fd ${fd}` });
}

/**
 * `close_range(first, last, 0)`: closes the open descriptors from `first` to `last`. Returns 0, or
 * `-errno` (ENOSYS before Linux 5.9, EPERM under a seccomp filter that does not know it). What this
 * package knew of each number is dropped first, as {@link sysClose} does.
 */
export function sysCloseRangeTry(first: number, last: number): number {
  for (let fd = first; fd <= last; fd++) forgetFd(fd);
  return n().int3(n().nr.close_range, first, last, 0) < 0 ? -n().koffi.errno() : 0;
}

/** `ioctl(fd, request, arg)` with an integer argument. */
export function sysIoctlInt(fd: number, request: number, arg: number): number {
  const ret = n().int3(n().nr.ioctl, fd, request, arg);
  if (ret < 0) fail({ syscall: 'ioctl', command: `0x${request.toString(16)}`, detail: `fd ${fd}` });
  return ret;
}

/** `ioctl(fd, request, buf)` with a pointer argument. */
export function sysIoctlPtr(fd: number, request: number, arg: Uint8Array | null): number {
  const ret = n().intLongPtr(n().nr.ioctl, fd, request, arg);
  if (ret < 0) fail({ syscall: 'ioctl', command: `0x${request.toString(16)}`, detail: `fd ${fd}` });
  return ret;
}

const F_DUPFD = 0;
const F_DUPFD_CLOEXEC = 1030;

/** `fcntl(fd, cmd, arg)`; returns `-errno` on failure. */
export function sysFcntlTry(fd: number, cmd: number, arg: number): number {
  const ret = n().int3(n().nr.fcntl, fd, cmd, arg);
  if (ret < 0) return -n().koffi.errno();
  if (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC) forgetFd(ret);
  return ret;
}
