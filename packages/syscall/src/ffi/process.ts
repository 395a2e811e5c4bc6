/**
 * The process and the system it runs on: namespaces, mounts, kernel name, capabilities, memfds,
 * pidfds, process and thread ids.
 */
import { forgetFd } from '../fd-cache.js';
import { checkCString, checkFd, checkInt, checkU32, INT_MAX } from '../validate.js';
import { fail, n } from './native.js';

/** `setns(fd, nstype)`. */
export function sysSetns(fd: number, nstype: number): void {
  checkFd(fd);
  checkInt(nstype, 'nstype', 0, INT_MAX);
  if (n().int2(n().nr.setns, fd, nstype) < 0) fail({ syscall: 'setns', detail: `fd ${fd}` });
}

/** `mount(source, target, fstype, flags, NULL)`. */
export function sysMount(source: string, target: string, fstype: string, flags: number): void {
  if (n().mount(n().nr.mount, source, target, fstype, flags, null) < 0) {
    fail({ syscall: 'mount', detail: `${fstype} on ${target}` });
  }
}

/** `uname(buf)` into a 390-byte `struct utsname`. */
export function sysUname(buf: Uint8Array): void {
  if (n().ptr1(n().nr.uname, buf) < 0) fail({ syscall: 'uname' });
}

/** `capget(header, data)`. */
export function sysCapget(header: Uint8Array, data: Uint8Array): void {
  if (n().ptr2(n().nr.capget, header, data) < 0) fail({ syscall: 'capget' });
}

/** The longest name `memfd_create` takes, in bytes (mm/memfd.c: NAME_MAX minus its "memfd:" prefix). */
const MFD_NAME_MAX_LEN = 249;

/** `memfd_create(name, flags)`. */
export function sysMemfdCreate(name: string, flags: number): number {
  checkCString(name, 'name', MFD_NAME_MAX_LEN);
  checkU32(flags, 'flags');
  const ret = n().strInt(n().nr.memfd_create, name, flags);
  if (ret < 0) fail({ syscall: 'memfd_create', detail: name });
  forgetFd(ret);
  return ret;
}

/** `pidfd_open(pid, flags)`: a file descriptor referring to a process (task storage maps key on it). */
export function sysPidfdOpen(pid: number, flags = 0): number {
  checkInt(pid, 'pid', 1, INT_MAX);
  checkU32(flags, 'flags');
  const ret = n().int2(n().nr.pidfd_open, pid, flags);
  if (ret < 0) fail({ syscall: 'pidfd_open', detail: `pid ${pid}` });
  forgetFd(ret);
  return ret;
}

/** `getpid()` and `gettid()`. */
export function sysGetpid(): number {
  return n().int(n().nr.getpid, 0);
}

/** This thread's kernel thread id. */
export function sysGettid(): number {
  return n().int(n().nr.gettid, 0);
}
