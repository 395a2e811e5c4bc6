import { UnsupportedArchitectureError } from './errors.js';

/** The system calls this package makes, by name. */
export type SyscallName =
  | 'read'
  | 'write'
  | 'close'
  | 'close_range'
  | 'lseek'
  | 'mmap'
  | 'munmap'
  | 'ioctl'
  | 'fcntl'
  | 'dup'
  | 'openat'
  | 'epoll_create1'
  | 'epoll_ctl'
  | 'epoll_pwait'
  | 'eventfd2'
  | 'setns'
  | 'socket'
  | 'bind'
  | 'connect'
  | 'getsockname'
  | 'sendto'
  | 'recvfrom'
  | 'setsockopt'
  | 'getsockopt'
  | 'mount'
  | 'umount2'
  | 'uname'
  | 'capget'
  | 'getpid'
  | 'gettid'
  | 'tgkill'
  | 'memfd_create'
  | 'perf_event_open'
  | 'pidfd_open'
  | 'pidfd_getfd'
  | 'fsopen'
  | 'fsconfig'
  | 'fsmount'
  | 'bpf';

/** A syscall-number table for one architecture. */
export type SyscallTable = Readonly<Record<SyscallName, number>>;

// asm-generic/unistd.h: shared by arm64 and riscv64.
const generic: SyscallTable = {
  read: 63,
  write: 64,
  close: 57,
  lseek: 62,
  mmap: 222,
  munmap: 215,
  ioctl: 29,
  fcntl: 25,
  dup: 23,
  openat: 56,
  epoll_create1: 20,
  epoll_ctl: 21,
  epoll_pwait: 22,
  eventfd2: 19,
  setns: 268,
  socket: 198,
  bind: 200,
  connect: 203,
  getsockname: 204,
  sendto: 206,
  recvfrom: 207,
  setsockopt: 208,
  getsockopt: 209,
  mount: 40,
  umount2: 39,
  uname: 160,
  capget: 90,
  getpid: 172,
  gettid: 178,
  tgkill: 131,
  memfd_create: 279,
  perf_event_open: 241,
  // added after the tables were unified: 434 on every architecture
  pidfd_open: 434,
  pidfd_getfd: 438,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  close_range: 436,
  bpf: 280,
};

/**
 * Syscall numbers per Node.js `process.arch`, from each architecture's
 * `syscall.tbl` (x86_64, s390x, powerpc) or `asm-generic/unistd.h` (arm64, riscv64).
 */
export const SYSCALL_TABLES: Readonly<Record<string, SyscallTable>> = {
  x64: {
    read: 0,
    write: 1,
    close: 3,
    lseek: 8,
    mmap: 9,
    munmap: 11,
    ioctl: 16,
    fcntl: 72,
    dup: 32,
    openat: 257,
    epoll_create1: 291,
    epoll_ctl: 233,
    epoll_pwait: 281,
    eventfd2: 290,
    setns: 308,
    socket: 41,
    bind: 49,
    connect: 42,
    getsockname: 51,
    sendto: 44,
    recvfrom: 45,
    setsockopt: 54,
    getsockopt: 55,
    mount: 165,
    umount2: 166,
    uname: 63,
    capget: 125,
    getpid: 39,
    gettid: 186,
    tgkill: 234,
    memfd_create: 319,
    perf_event_open: 298,
    pidfd_open: 434,
    pidfd_getfd: 438,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    close_range: 436,
    bpf: 321,
  },
  arm64: generic,
  riscv64: generic,
  s390x: {
    read: 3,
    write: 4,
    close: 6,
    lseek: 19,
    // s390x's mmap syscall is old_mmap (one pointer to six longs); see ffi/memory.ts.
    mmap: 90,
    munmap: 91,
    ioctl: 54,
    fcntl: 55,
    dup: 41,
    openat: 288,
    epoll_create1: 327,
    epoll_ctl: 250,
    epoll_pwait: 312,
    eventfd2: 323,
    setns: 339,
    socket: 359,
    bind: 361,
    connect: 362,
    getsockname: 367,
    sendto: 369,
    recvfrom: 371,
    setsockopt: 366,
    getsockopt: 365,
    mount: 21,
    umount2: 52,
    uname: 122,
    capget: 184,
    getpid: 20,
    gettid: 236,
    tgkill: 241,
    memfd_create: 350,
    perf_event_open: 331,
    pidfd_open: 434,
    pidfd_getfd: 438,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    close_range: 436,
    bpf: 351,
  },
  ppc64: {
    read: 3,
    write: 4,
    close: 6,
    lseek: 19,
    mmap: 90,
    munmap: 91,
    ioctl: 54,
    fcntl: 55,
    dup: 41,
    openat: 286,
    epoll_create1: 315,
    epoll_ctl: 237,
    epoll_pwait: 303,
    eventfd2: 314,
    setns: 350,
    socket: 326,
    bind: 327,
    connect: 328,
    getsockname: 331,
    sendto: 335,
    recvfrom: 337,
    setsockopt: 339,
    getsockopt: 340,
    mount: 21,
    umount2: 52,
    uname: 122,
    capget: 183,
    getpid: 20,
    gettid: 207,
    tgkill: 250,
    memfd_create: 360,
    perf_event_open: 319,
    pidfd_open: 434,
    pidfd_getfd: 438,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    close_range: 436,
    bpf: 361,
  },
};

/** Architectures with a syscall table, as `process.arch` names them. */
export const SUPPORTED_ARCHITECTURES = Object.freeze(Object.keys(SYSCALL_TABLES));

/**
 * The syscall table for `arch` (default: this process's architecture).
 * Node.js names ppc64le `ppc64` (with `os.endianness() === 'LE'`).
 * @throws UnsupportedArchitectureError for an architecture without a table.
 */
export function syscallTable(arch: string = process.arch): SyscallTable {
  const table = SYSCALL_TABLES[arch];
  if (!table) throw new UnsupportedArchitectureError(arch, SUPPORTED_ARCHITECTURES);
  return table;
}
