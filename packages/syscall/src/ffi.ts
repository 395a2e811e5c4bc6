/**
 * The only module that talks to koffi. Everything above it passes plain
 * `Uint8Array`s, numbers and strings.
 *
 * `syscall(2)` is variadic in C. On every architecture we support (x86_64,
 * arm64, riscv64, s390x, ppc64le) integer and pointer arguments of a variadic
 * call travel in the same registers as those of a fixed-argument call, and
 * glibc's `syscall` never reads floating-point registers, so each shape below
 * is declared as a fixed prototype: koffi can then pre-compile the call.
 *
 * errno is read with `koffi.errno()` immediately after a call that failed.
 *
 * koffi and libc are loaded by the first system call, not at import: importing the package
 * (or a bundle that includes it) runs no native code, and parts that make no system call work
 * where koffi cannot load.
 *
 * The helper threads of helper-threads.ts load koffi and libc on their own threads, as this
 * module names them ({@link helperThreadNative}), and make the one call `bpf()` makes here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Errno } from '@ts-ebpf/uapi';
import type * as KoffiModule from 'koffi';
import { type SyscallName, syscallTable } from './arch.js';
import { BpfArgumentError, FfiUnavailableError, type SyscallErrorContext, syscallError } from './errors.js';
import { forgetFd } from './fd-cache.js';
import { checkBuffer, checkCString, checkFd, checkInt, checkU32 } from './validate.js';

/** The largest value of a C `int` argument. */
const INT_MAX = 0x7fffffff;

type Koffi = typeof KoffiModule;
type Call = (...a: unknown[]) => number;

/** The native functions, bound on first use (importing this package loads no native code). */
interface Native {
  readonly koffi: Koffi;
  readonly nr: Readonly<Record<SyscallName, number>>;
  readonly bpf: Call;
  readonly ptr1Int4: Call;
  readonly int: Call;
  readonly int2: Call;
  readonly int3: Call;
  readonly ptr1: Call;
  readonly intPtrLong: Call;
  readonly intLongPtr: Call;
  readonly int3Ptr: Call;
  readonly intStrInt2: Call;
  readonly epollWait: Call;
  readonly sockopt: Call;
  readonly sockoptGet: Call;
  readonly mount: Call;
  readonly ptr2: Call;
  readonly intPtrPtr: Call;
  readonly sendto: Call;
  readonly recvfrom: Call;
  readonly strInt: Call;
  readonly mmap: (...a: unknown[]) => bigint | null;
  readonly munmap: Call;
  readonly sysconf: (name: number) => number;
  readonly dlopen: (file: string, mode: number) => unknown;
}

let native: Native | undefined;

const LIBC = 'libc.so.6';
/** Declares one fixed-argument shape of `syscall(2)`. */
const syscallShape = (args: string) => `long syscall(long nr${args ? `, ${args}` : ''})`;
// bpf() takes the attr's address as an integer: the attrs live in native memory (attr.ts).
const BPF_SHAPE = syscallShape('long cmd, long attr, long size');

/** Loads koffi and libc and declares every call shape: once, on the first system call. */
function bind(): Native {
  const nr = syscallTable(); // throws UnsupportedArchitectureError before any native code loads
  let koffi: Koffi;
  let libc: ReturnType<Koffi['load']>;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (e) {
    throw new FfiUnavailableError('koffi', { cause: e });
  }
  try {
    libc = koffi.load(LIBC);
  } catch (e) {
    throw new FfiUnavailableError(`the C library (${LIBC})`, { cause: e });
  }
  const shape = (args: string): Call => libc.func(syscallShape(args)) as unknown as Call;
  native = {
    koffi,
    nr,
    bpf: libc.func(BPF_SHAPE) as unknown as Call,
    ptr1Int4: shape('void *p, int a, int b, int c, unsigned long d'),
    int: shape('long a'),
    int2: shape('long a, long b'),
    int3: shape('long a, long b, long c'),
    ptr1: shape('void *p'),
    intPtrLong: shape('long a, void *p, unsigned long n'),
    intLongPtr: shape('long a, unsigned long b, void *p'),
    int3Ptr: shape('long a, long b, long c, void *p'),
    intStrInt2: shape('long dirfd, const char *path, long flags, unsigned long mode'),
    epollWait: shape('long epfd, void *events, long max, long timeout, void *sigmask, unsigned long size'),
    sockopt: shape('long fd, long level, long name, void *val, uint32_t len'),
    sockoptGet: shape('long fd, long level, long name, void *val, void *len'),
    mount: shape('const char *src, const char *target, const char *type, unsigned long flags, void *data'),
    ptr2: shape('void *a, void *b'),
    intPtrPtr: shape('long fd, void *addr, void *len'),
    sendto: shape('long fd, void *buf, unsigned long len, long flags, void *addr, unsigned long addrlen'),
    recvfrom: shape('long fd, void *buf, unsigned long len, long flags, void *addr, void *addrlen'),
    strInt: shape('const char *name, unsigned long flags'),
    mmap: libc.func(
      'void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)',
    ) as unknown as (...a: unknown[]) => bigint | null,
    munmap: libc.func('int munmap(void *addr, size_t len)') as unknown as Call,
    sysconf: libc.func('long sysconf(int name)') as unknown as (name: number) => number,
    dlopen: libc.func('void *dlopen(const char *file, int mode)') as unknown as Native['dlopen'],
  };
  NR_BPF = nr.bpf;
  BPF = native.bpf;
  return native;
}

/**
 * What a helper thread loads to make the `bpf()` call this module makes: koffi's module path, the C
 * library, the call's declaration and the system call's number (binding them here first, so
 * that a machine where they cannot load fails on this thread, with this module's errors).
 */
export function helperThreadNative(): { koffiPath: string; libc: string; prototype: string; nr: number } {
  const { nr } = n();
  return {
    koffiPath: createRequire(import.meta.url).resolve('koffi'),
    libc: LIBC,
    prototype: BPF_SHAPE,
    nr: nr.bpf,
  };
}

/** The bound native functions (binding them on the first call). */
function n(): Native {
  return native ?? bind();
}

const MAP_FAILED = (1n << 64n) - 1n;

function fail(context: SyscallErrorContext): never {
  throw syscallError(n().koffi.errno(), context);
}

// Each wrapper reads its number as a named property (`n().nr.read`), never through a shared
// `nr(name)` helper: that helper's one keyed load saw every name, went megamorphic and cost each
// call a stub-cache probe (read/write/dup/close through these wrappers were about 10% slower).

/** The bpf() number and binding, set by `bind()`: the hot path does no lookups. */
let NR_BPF = 0;
let BPF: Call | undefined;

/**
 * Raw `bpf(cmd, attr, size)` with the attr's native address. Returns the non-negative result, or throws the
 * errno as a typed error whose message names `commandName`.
 */
export function sysBpfCall(cmd: number, attr: number, size: number, commandName: string): number {
  const ret = (BPF ?? bind().bpf)(NR_BPF, cmd, attr, size);
  if (ret < 0) fail({ syscall: 'bpf', command: commandName });
  return ret;
}

/**
 * Raw `bpf()` that reports failure as a negative errno instead of throwing,
 * for probes and for commands whose ENOENT is an ordinary answer.
 */
export function sysBpfTry(cmd: number, attr: number, size: number): number {
  const ret = (BPF ?? bind().bpf)(NR_BPF, cmd, attr, size);
  return ret < 0 ? -n().koffi.errno() : ret;
}

// koffi refuses (throws) an async call beyond its queue (`max_async_calls`, 256 by default), and
// libuv runs only UV_THREADPOOL_SIZE (default 4) at once anyway: calls beyond this many wait here.
const MAX_ASYNC_BPF = 64;
let asyncInFlight = 0;
const asyncWaiting: (() => void)[] = [];

/**
 * `bpf(cmd, attr, size)` on one of libuv's worker threads (koffi's async call): resolves to the
 * non-negative result or `-errno`, as {@link sysBpfTry} returns. The caller keeps the attr's memory,
 * and every buffer it points to, alive and unchanged until the promise settles. At most 64 calls
 * are handed to koffi at once; more wait their turn.
 */
export async function sysBpfTryAsync(cmd: number, attr: number, size: number): Promise<number> {
  const call = (BPF ?? bind().bpf) as unknown as { async: (...a: unknown[]) => void };
  const koffi = n().koffi;
  if (asyncInFlight >= MAX_ASYNC_BPF) await new Promise<void>((resolve) => asyncWaiting.push(resolve));
  asyncInFlight++;
  try {
    return await new Promise<number>((resolve, reject) => {
      call.async(NR_BPF, cmd, attr, size, (err: unknown, ret: number) => {
        // koffi restores the worker's errno on this thread for the callback's duration
        if (err) reject(err);
        else resolve(ret < 0 ? -koffi.errno() : ret);
      });
    });
  } finally {
    asyncInFlight--;
    asyncWaiting.shift()?.();
  }
}

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

/**
 * A descriptor watched for readability by this thread's Node event loop: koffi's handle of a
 * libuv poll (`uv_poll_t`) of the loop itself, so no thread of ours waits. `onPoll` runs on this
 * thread during the loop's poll phase with libuv's status (0, or a negative errno: `EBADF` for an
 * error condition on the fd) and the handle stays started (level-triggered: again on every turn
 * while the fd is readable) until stopped. `start` takes effect at the loop's next poll phase.
 * libuv aborts the process when a descriptor it watches was closed under it: watch only a
 * descriptor you own and close it after the handle. libuv makes the descriptor non-blocking.
 */
export interface LoopPoll {
  /** Watches (again) for readability, calling `onPoll`. */
  start(onPoll: (status: number) => void): void;
  /** Stops watching until the next `start`. */
  stop(): void;
  /** Stops watching for good; the handle's memory is released by the loop afterwards. */
  close(): void;
  /** Whether a started handle keeps the process alive (it does when made). */
  ref(): void;
  unref(): void;
}

const READABLE = { readable: true } as const;
const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000;

/** koffi's poll handle: its callback gets libuv's status first (its declaration says otherwise). */
interface KoffiPollHandle {
  start(opts: typeof READABLE, cb: (status: number) => void): void;
  stop(): void;
  close(): void;
  ref(): void;
  unref(): void;
}
type KoffiPoll = (fd: number, opts: typeof READABLE, cb: (status: number) => void) => KoffiPollHandle;

/** koffi's `node.poll`, checked and made safe on this thread by the first call (see loopPollReady). */
let koffiPoll: KoffiPoll | undefined;

/**
 * koffi's `node.poll` (koffi 3.3), once its native module is pinned in memory: a poll handle left
 * open by a worker thread is closed by that thread's teardown after Node has unloaded the addon
 * (when no other thread loaded it), and the close callback into the unloaded code crashed the
 * process. `dlopen(RTLD_NODELETE)` of the module koffi loaded keeps it mapped for good.
 */
function loopPollReady(): KoffiPoll {
  if (koffiPoll) return koffiPoll;
  const koffi = n().koffi as unknown as { node?: { poll?: unknown; PollHandle?: { prototype?: object } } };
  const poll = koffi.node?.poll;
  const proto = koffi.node?.PollHandle?.prototype as Partial<KoffiPollHandle> | undefined;
  if (
    typeof poll !== 'function' ||
    typeof proto?.start !== 'function' ||
    typeof proto.stop !== 'function' ||
    typeof proto.close !== 'function' ||
    typeof proto.ref !== 'function' ||
    typeof proto.unref !== 'function'
  ) {
    throw new FfiUnavailableError("koffi's event-loop poll (`koffi.node.poll` of koffi 3.3)");
  }
  // Every copy loaded (an application may hold two versions of koffi): which one this is, no
  // list says. Node's module cache names them without a read of /proc/self/maps (a large string,
  // whose garbage a first wait would leave); the maps, when the cache does not.
  const cached = Object.keys(createRequire(import.meta.url).cache).filter((path) =>
    path.endsWith('/koffi.node'),
  );
  const modules = new Set(
    cached.length > 0
      ? cached
      : readFileSync('/proc/self/maps', 'utf8')
          .split('\n')
          .map((line) => line.slice(line.indexOf('/')))
          .filter((path) => path.endsWith('/koffi.node')),
  );
  if (modules.size === 0) {
    throw new FfiUnavailableError(
      "koffi's native module pinned in memory, which its event-loop poll needs (not found in /proc/self/maps)",
    );
  }
  for (const module of modules) {
    if (n().dlopen(module, RTLD_NOW | RTLD_NODELETE) === null) {
      throw new FfiUnavailableError(
        `koffi's native module ${module} pinned in memory, which its event-loop poll needs`,
      );
    }
  }
  koffiPoll = poll as KoffiPoll;
  return koffiPoll;
}

/**
 * `uv_poll_init` + `uv_poll_start(UV_READABLE)` of `fd` on this thread's event loop, through
 * koffi's `node.poll`. @throws FfiUnavailableError when koffi has no such call. The caller checks
 * first that epoll can watch `fd`: koffi ends the process when libuv refuses it.
 */
export function sysLoopPoll(fd: number, onPoll: (status: number) => void): LoopPoll {
  const handle = loopPollReady()(fd, READABLE, onPoll);
  return {
    start: (cb) => handle.start(READABLE, cb),
    stop: () => handle.stop(),
    close: () => handle.close(),
    ref: () => handle.ref(),
    unref: () => handle.unref(),
  };
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

/** `setns(fd, nstype)`. */
export function sysSetns(fd: number, nstype: number): void {
  checkFd(fd);
  checkInt(nstype, 'nstype', 0, INT_MAX);
  if (n().int2(n().nr.setns, fd, nstype) < 0) fail({ syscall: 'setns', detail: `fd ${fd}` });
}

/** `socket(domain, type, protocol)`. */
export function sysSocket(domain: number, type: number, protocol: number): number {
  checkInt(domain, 'domain', 0, INT_MAX);
  checkInt(type, 'type', 0, INT_MAX);
  checkInt(protocol, 'protocol', 0, INT_MAX);
  const ret = n().int3(n().nr.socket, domain, type, protocol);
  if (ret < 0) fail({ syscall: 'socket', detail: `domain ${domain}, type ${type}` });
  forgetFd(ret);
  return ret;
}

/** `bind(fd, addr, addrlen)` with an encoded sockaddr (see `sockaddrIn`). */
export function sysBind(fd: number, addr: Uint8Array): void {
  checkFd(fd);
  checkBuffer(addr, 'bind', 'addr', 1, 'a sockaddr');
  if (n().intPtrLong(n().nr.bind, fd, addr, addr.byteLength) < 0)
    fail({ syscall: 'bind', detail: `fd ${fd}` });
}

/** `getsockname(fd, addr, &addrlen)` into `addr`. @returns the address length. */
export function sysGetsockname(fd: number, addr: Uint8Array): number {
  checkFd(fd);
  checkBuffer(addr, 'getsockname', 'addr', 1, 'room for a sockaddr');
  const len = new Uint32Array([addr.byteLength]);
  if (n().intPtrPtr(n().nr.getsockname, fd, addr, len) < 0) {
    fail({ syscall: 'getsockname', detail: `fd ${fd}` });
  }
  return len[0]!;
}

/** `connect(fd, addr, addrlen)`. */
export function sysConnect(fd: number, addr: Uint8Array): void {
  checkFd(fd);
  checkBuffer(addr, 'connect', 'addr', 1, 'a sockaddr');
  if (n().intPtrLong(n().nr.connect, fd, addr, addr.byteLength) < 0) {
    fail({ syscall: 'connect', detail: `fd ${fd}` });
  }
}

/** `sendto(fd, buf, len, flags, addr, addrlen)` (addr null: a connected socket). @returns bytes sent. */
export function sysSendto(fd: number, data: Uint8Array, flags = 0, addr: Uint8Array | null = null): number {
  checkFd(fd);
  checkU32(flags, 'flags');
  checkBuffer(data, 'sendto', 'data', 0);
  if (addr) checkBuffer(addr, 'sendto', 'addr', 1, 'a sockaddr');
  const ret = n().sendto(n().nr.sendto, fd, data, data.byteLength, flags, addr, addr?.byteLength ?? 0);
  if (ret < 0) fail({ syscall: 'sendto', detail: `fd ${fd}` });
  return ret;
}

/** `sendto(fd, buf, len, flags, NULL, 0)` that returns `-errno` instead of throwing (AF_XDP wake-ups). */
export function sysSendtoTry(fd: number, data: Uint8Array, flags: number): number {
  checkBuffer(data, 'sendto', 'data', 0);
  const ret = n().sendto(n().nr.sendto, fd, data, data.byteLength, flags, null, 0);
  return ret < 0 ? -n().koffi.errno() : ret;
}

/** `recvfrom(fd, buf, len, flags, NULL, NULL)` that returns `-errno` instead of throwing. */
export function sysRecvfromTry(fd: number, buf: Uint8Array, flags: number): number {
  checkBuffer(buf, 'recvfrom', 'buf', 0);
  const ret = n().recvfrom(n().nr.recvfrom, fd, buf, buf.byteLength, flags, null, null);
  return ret < 0 ? -n().koffi.errno() : ret;
}

/** `recvfrom(fd, buf, len, flags, NULL, NULL)`. @returns bytes received. */
export function sysRecvfrom(fd: number, buf: Uint8Array, flags = 0): number {
  checkFd(fd);
  checkU32(flags, 'flags');
  checkBuffer(buf, 'recvfrom', 'buf', 0);
  const ret = n().recvfrom(n().nr.recvfrom, fd, buf, buf.byteLength, flags, null, null);
  if (ret < 0) fail({ syscall: 'recvfrom', detail: `fd ${fd}` });
  return ret;
}

/** Checks the socket, level and option number of a `setsockopt` or `getsockopt`. */
function checkSockopt(fd: number, level: number, name: number): void {
  checkFd(fd);
  checkInt(level, 'level', 0, INT_MAX);
  checkInt(name, 'option', 0, INT_MAX);
}

/**
 * `setsockopt(fd, level, name, value, len)`: the kernel reads `value.byteLength` bytes of
 * `value`, which is checked to be a live buffer. A struct that carries an address the caller put
 * in it (`XDP_UMEM_REG`'s `struct xdp_umem_reg`: `addr` and `len`, the UMEM the kernel pins and
 * DMAs into) cannot be checked here: the caller must guarantee the address and length describe
 * memory it owns, mapped, page-aligned and writable, and keep it mapped as long as the kernel may
 * use it (for a UMEM, while the socket is open; unmapping it earlier leaves the kernel with pinned
 * pages the process no longer sees). `xdpUmemRegister` builds that struct from a `MappedMemory`
 * and checks it: prefer it.
 */
export function sysSetsockopt(fd: number, level: number, name: number, value: Uint8Array): void {
  checkSockopt(fd, level, name);
  checkBuffer(value, 'setsockopt', 'value', 0);
  if (n().sockopt(n().nr.setsockopt, fd, level, name, value, value.byteLength) < 0) {
    fail({ syscall: 'setsockopt', detail: `level ${level}, option ${name}` });
  }
}

/** `getsockopt(fd, level, name, value, &len)`: the length the kernel wrote. */
export function sysGetsockopt(fd: number, level: number, name: number, value: Uint8Array): number {
  checkSockopt(fd, level, name);
  checkBuffer(value, 'getsockopt', 'value', 0);
  const len = new Uint32Array([value.byteLength]);
  if (n().sockoptGet(n().nr.getsockopt, fd, level, name, value, len) < 0) {
    fail({ syscall: 'getsockopt', detail: `level ${level}, option ${name}` });
  }
  return len[0]!;
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

/**
 * `mmap(NULL, len, prot, flags, fd, off)` through libc (s390x's mmap syscall
 * takes its arguments in memory; libc knows each architecture's form).
 * Returns the address.
 */
export function sysMmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint {
  const addr = n().mmap(null, length, prot, flags, fd, offset);
  const value = addr === null ? 0n : BigInt.asUintN(64, n().koffi.address(addr));
  if (value === MAP_FAILED || value === 0n) {
    fail({ syscall: 'mmap', detail: `fd ${fd}, length ${length}, offset ${offset}` });
  }
  return value;
}

/** `munmap(addr, len)` through libc. */
export function sysMunmap(address: bigint, length: number): void {
  if (n().munmap(address, length) < 0) fail({ syscall: 'munmap' });
}

/** An ArrayBuffer over `length` bytes of native memory at `address`, without a copy. */
export function viewMemory(address: bigint, length: number): ArrayBuffer {
  return n().koffi.view(address, length) as ArrayBuffer;
}

/**
 * The native address of a typed array's first byte (valid while the array is alive and not
 * transferred), for a struct field the kernel follows. Nothing downstream can check such an
 * address: whoever writes it into a struct must keep the array alive (held in a variable used
 * after the call) and at least as long as the length the struct gives with it.
 */
export function addressOf(bytes: ArrayBufferView): bigint {
  if (!ArrayBuffer.isView(bytes))
    throw new BpfArgumentError('bytes', `expected a typed array or DataView, got ${describe(bytes)}`);
  return BigInt(pointerOf(bytes));
}

// Base addresses of ArrayBuffers, cached: a (non-detached) ArrayBuffer's backing
// store never moves once materialized, and asking for `.buffer` materializes it.
const baseAddresses = new WeakMap<ArrayBufferLike, number>();

/**
 * The native address of a typed array's first byte as a number (user-space
 * addresses fit in 53 bits), cached per ArrayBuffer. Valid while the array is
 * alive; throws for a detached buffer.
 */
export function pointerOf(bytes: ArrayBufferView): number {
  const buffer = bytes.buffer;
  let base = baseAddresses.get(buffer);
  if (base === undefined) {
    // (a plain array or other object has no `buffer`: it is not cached, so it always comes here)
    if (!ArrayBuffer.isView(bytes))
      throw new BpfArgumentError('buffer', `expected a typed array or DataView, got ${describe(bytes)}`);
    if (buffer.byteLength === 0)
      throw new BpfArgumentError('buffer', 'is empty or detached: nothing to pass to the kernel');
    base = Number(n().koffi.address(new Uint8Array(buffer)));
    baseAddresses.set(buffer, base);
  } else if (buffer.byteLength === 0) {
    throw new BpfArgumentError('buffer', 'is detached (its ArrayBuffer was transferred)');
  }
  return base + bytes.byteOffset;
}

/** What a value that is not a buffer is, for messages. */
function describe(value: unknown): string {
  return value === null
    ? 'null'
    : typeof value === 'object'
      ? (value.constructor?.name ?? 'object')
      : typeof value;
}

/** Native memory until `free()`: an address and a view of it (not to be touched after `free`). */
export function allocNative(size: number): { address: number; buffer: ArrayBuffer; free(): void } {
  const { koffi } = n();
  const ptr = koffi.alloc('uint8_t', size);
  const buffer = koffi.view(ptr, size) as ArrayBuffer;
  return { address: Number(koffi.address(ptr)), buffer, free: () => koffi.free(ptr) };
}

/** Native memory that lives as long as the process: an address and a view of it. */
export function allocPermanent(size: number): { address: number; buffer: ArrayBuffer } {
  const { address, buffer } = allocNative(size); // never freed
  new Uint8Array(buffer).fill(0);
  return { address, buffer };
}

const SC_PAGESIZE = 30;

/** The kernel's page size (sysconf(_SC_PAGESIZE)). */
export function sysPageSize(): number {
  return n().sysconf(SC_PAGESIZE);
}

/** `mmap(addr, len, …, MAP_FIXED …)`: replaces a range in place (used to retire mappings safely). */
export function sysMmapFixed(address: bigint, length: number, prot: number, flags: number): void {
  const addr = n().mmap(address, length, prot, flags, -1, 0);
  const value = addr === null ? 0n : BigInt.asUintN(64, n().koffi.address(addr));
  if (value !== address) fail({ syscall: 'mmap', detail: 'MAP_FIXED placeholder' });
}
