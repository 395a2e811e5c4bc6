import { sysIoctlInt, sysIoctlPtr } from './ffi.js';
import { checkFd, checkInt } from './validate.js';

/** Builds an ioctl request number the way the kernel's _IOC macro does (x86/arm64/riscv/s390 layout). */
export function ioc(dir: 0 | 1 | 2 | 3, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/** perf event ioctls (linux/perf_event.h). */
export const PerfIoctl = {
  ENABLE: ioc(0, 0x24, 0, 0),
  DISABLE: ioc(0, 0x24, 1, 0),
  REFRESH: ioc(0, 0x24, 2, 0),
  RESET: ioc(0, 0x24, 3, 0),
  SET_BPF: ioc(1, 0x24, 8, 4),
  PAUSE_OUTPUT: ioc(1, 0x24, 9, 4),
} as const;

/**
 * ioctl(2) with an integer argument, or with a buffer the kernel reads or
 * writes. Returns the kernel's non-negative result.
 */
export function ioctl(fd: number, request: number, arg: number | Uint8Array | null = 0): number {
  checkFd(fd);
  checkInt(request, 'request', 0, 0xffffffff);
  if (arg === null || arg instanceof Uint8Array) return sysIoctlPtr(fd, request, arg);
  return sysIoctlInt(fd, request, checkInt(arg, 'arg', -0x80000000, 0xffffffff));
}
