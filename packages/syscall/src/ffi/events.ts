/** Descriptors that signal events: perf events, epoll, eventfd. */
import { Errno } from '@ts-ebpf/uapi';
import { syscallError } from '../errors.js';
import { forgetFd } from '../fd-cache.js';
import { checkInt, checkU32, INT_MAX } from '../validate.js';
import { fail, n } from './native.js';

/** `perf_event_open(attr, pid, cpu, group_fd, flags)`. */
export function sysPerfEventOpen(
  attr: Uint8Array,
  pid: number,
  cpu: number,
  groupFd: number,
  flags: number,
): number {
  const ret = n().ptr1Int4(n().nr.perf_event_open, attr, pid, cpu, groupFd, flags);
  if (ret < 0) fail({ syscall: 'perf_event_open', detail: `pid ${pid}, cpu ${cpu}` });
  forgetFd(ret);
  return ret;
}

/** `epoll_create1(flags)`. */
export function sysEpollCreate1(flags: number): number {
  const ret = n().int(n().nr.epoll_create1, flags);
  if (ret < 0) fail({ syscall: 'epoll_create1' });
  forgetFd(ret);
  return ret;
}

/** `epoll_ctl(epfd, op, fd, event)`. */
export function sysEpollCtl(epfd: number, op: number, fd: number, event: Uint8Array | null): void {
  if (n().int3Ptr(n().nr.epoll_ctl, epfd, op, fd, event) < 0) {
    fail({ syscall: 'epoll_ctl', detail: `epfd ${epfd}, op ${op}, fd ${fd}` });
  }
}

/** `epoll_pwait(epfd, events, max, timeout, NULL)`; EINTR counts as zero events. */
export function sysEpollPwait(epfd: number, events: Uint8Array, max: number, timeoutMs: number): number {
  const ret = n().epollWait(n().nr.epoll_pwait, epfd, events, max, timeoutMs, null, 8);
  if (ret < 0) {
    const errno = n().koffi.errno();
    if (errno === Errno.EINTR) return 0;
    throw syscallError(errno, { syscall: 'epoll_pwait', detail: `epfd ${epfd}` });
  }
  return ret;
}

/** `eventfd2(initval, flags)`. */
export function sysEventfd(initval: number, flags: number): number {
  checkU32(initval, 'initval');
  checkInt(flags, 'flags', 0, INT_MAX);
  const ret = n().int2(n().nr.eventfd2, initval, flags);
  if (ret < 0) fail({ syscall: 'eventfd2' });
  forgetFd(ret);
  return ret;
}
