/**
 * Loads koffi and the C library and declares the native calls: the files of this directory are
 * the only modules that talk to koffi. Everything above them passes plain `Uint8Array`s, numbers
 * and strings.
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
 * module names them ({@link helperThreadNative}), and make the one call `bpf()` makes in
 * bpf-call.ts.
 */
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';
import { type SyscallName, syscallTable } from '../arch.js';
import { FfiUnavailableError, type SyscallErrorContext, syscallError } from '../errors.js';

export type Koffi = typeof KoffiModule;
export type Call = (...a: unknown[]) => number;

/** The native functions, bound on first use (importing this package loads no native code). */
export interface Native {
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
  readonly fsconfig: Call;
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
    fsconfig: shape('long fd, unsigned long cmd, const char *key, const char *value, long aux'),
    mmap: libc.func(
      'void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)',
    ) as unknown as (...a: unknown[]) => bigint | null,
    munmap: libc.func('int munmap(void *addr, size_t len)') as unknown as Call,
    sysconf: libc.func('long sysconf(int name)') as unknown as (name: number) => number,
    dlopen: libc.func('void *dlopen(const char *file, int mode)') as unknown as Native['dlopen'],
  };
  return native;
}

/**
 * What a helper thread loads to make the `bpf()` call bpf-call.ts makes: koffi's module path, the C
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

// Each wrapper reads its number as a named property (`n().nr.read`), never through a shared
// `nr(name)` helper: that helper's one keyed load saw every name, went megamorphic and cost each
// call a stub-cache probe (read/write/dup/close through these wrappers were about 10% slower).

/** The bound native functions (binding them on the first call). */
export function n(): Native {
  return native ?? bind();
}

/** Throws the errno of the call that just failed as a typed error naming the call (`context`). */
export function fail(context: SyscallErrorContext): never {
  throw syscallError(n().koffi.errno(), context);
}
