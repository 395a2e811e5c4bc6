import { sysIoctlInt, sysIoctlPtr } from './ffi/files.js';
import { checkBuffer, checkFd, checkInt } from './validate.js';

/**
 * How an architecture lays out an ioctl request number (`asm/ioctl.h`): the width of the size
 * field and the direction values. asm-generic (x86_64, arm64, riscv64, s390x): 14 size bits,
 * none 0, write 1, read 2. powerpc: 13 size bits and a 3-bit direction, none 1, read 2, write 4.
 */
export interface IocLayout {
  readonly sizeBits: number;
  readonly none: number;
  readonly read: number;
  readonly write: number;
}

const GENERIC_IOC: IocLayout = Object.freeze({ sizeBits: 14, none: 0, read: 2, write: 1 });
const POWERPC_IOC: IocLayout = Object.freeze({ sizeBits: 13, none: 1, read: 2, write: 4 });

/** The ioctl number layout of `arch` (default: this process's; Node.js names ppc64le `ppc64`; mips has powerpc's). */
export function iocLayout(arch: string = process.arch): IocLayout {
  // mips shares powerpc's layout (its asm/ioctl.h defines the same bits)
  return ['ppc64', 'ppc', 'mips', 'mipsel'].includes(arch) ? POWERPC_IOC : GENERIC_IOC;
}

/** Direction of an ioctl: what the kernel does with the argument's buffer. */
export const IocDir = { NONE: 0, WRITE: 1, READ: 2, READ_WRITE: 3 } as const;

/**
 * Builds an ioctl request number the way the kernel's `_IOC(dir, type, nr, size)` macro does
 * for `layout`'s architecture (default: this one). `dir` is an {@link IocDir} (`_IOW` is
 * WRITE: user space writes, the kernel reads).
 * @throws BpfArgumentError for a field that does not fit its bits.
 */
export function ioc(
  dir: 0 | 1 | 2 | 3,
  type: number,
  nr: number,
  size: number,
  layout = iocLayout(),
): number {
  checkInt(dir, 'dir', 0, 3);
  checkInt(type, 'type', 0, 0xff);
  checkInt(nr, 'nr', 0, 0xff);
  checkInt(size, 'size', 0, 2 ** layout.sizeBits - 1);
  const bits = dir === 0 ? layout.none : (dir & 1 ? layout.write : 0) | (dir & 2 ? layout.read : 0);
  return (bits * 2 ** (16 + layout.sizeBits) + size * 0x10000 + type * 0x100 + nr) >>> 0;
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

/** sizeof(struct ifreq) (linux/if.h): IFNAMSIZ (16) bytes of name, then a 24-byte union (its largest member `struct ifmap`). */
const IFREQ_SIZE = 40;

/**
 * Whether `request` is a socket ioctl without an encoded size whose argument is a `struct ifreq`
 * (linux/sockios.h): SIOCGIFNAME, SIOCGIFFLAGS to SIOCSIFHWBROADCAST, SIOCETHTOOL and the MII
 * requests, SIOCSHWTSTAMP/SIOCGHWTSTAMP, and the SIOCDEVPRIVATE range.
 */
function takesIfreq(request: number): boolean {
  return (
    request === 0x8910 ||
    (request >= 0x8913 && request <= 0x8937) ||
    (request >= 0x8946 && request <= 0x8949) ||
    request === 0x89b0 ||
    request === 0x89b1 ||
    (request >= 0x89f0 && request <= 0x89ff)
  );
}

/**
 * ioctl(2) with an integer argument, or with a buffer the kernel reads or
 * writes. Returns the kernel's non-negative result. The buffer's size is checked against what the
 * request says the kernel copies; an address inside it is not: a struct that carries one the
 * caller built (`struct ifreq`'s `ifr_data` for SIOCETHTOOL and SIOCDEVPRIVATE, pointing at the
 * command struct the driver reads and writes) needs that memory alive, large enough for the
 * command, until the call returns, which only the caller can see to.
 * @throws BufferSizeError for a detached buffer, or one shorter than the request's encoded size
 *   (or than a `struct ifreq`, 40 bytes, for the socket interface requests that encode none)
 */
export function ioctl(fd: number, request: number, arg: number | Uint8Array | null = 0): number {
  checkFd(fd);
  checkInt(request, 'request', 0, 0xffffffff);
  if (arg instanceof Uint8Array) {
    // A request that encodes a direction and size (`_IOR`/`_IOW`/`_IOWR`) says how many bytes the
    // kernel reads or writes through the argument; older requests (0x89xx socket ioctls) do not.
    const layout = iocLayout();
    const size = Math.floor(request / 0x10000) % 2 ** layout.sizeBits;
    const dir = Math.floor(request / 2 ** (16 + layout.sizeBits));
    const encoded = dir !== layout.none && dir !== 0 ? size : 0;
    const ifreq = encoded === 0 && takesIfreq(request);
    checkBuffer(
      arg,
      `ioctl(0x${request.toString(16)})`,
      'arg',
      ifreq ? IFREQ_SIZE : encoded,
      ifreq
        ? 'a struct ifreq (the socket interface ioctls copy a whole one in and out)'
        : `the request's encoded size`,
    );
  }
  if (arg === null || arg instanceof Uint8Array) return sysIoctlPtr(fd, request, arg);
  return sysIoctlInt(fd, request, checkInt(arg, 'arg', -0x80000000, 0xffffffff));
}
