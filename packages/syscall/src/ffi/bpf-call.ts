/** The bpf() system call: the hot path of every command. */
import { type Call, fail, n } from './native.js';

/** The bpf() number and binding, set by the first call: the hot path does no lookups. */
let NR_BPF = 0;
let BPF: Call | undefined;

/** Binds bpf() (loading koffi and libc if no call has yet) and keeps its number and binding. */
function bindBpf(): Call {
  const { nr, bpf } = n();
  NR_BPF = nr.bpf;
  BPF = bpf;
  return bpf;
}

/**
 * Raw `bpf(cmd, attr, size)` with the attr's native address. Returns the non-negative result, or throws the
 * errno as a typed error whose message names `commandName`.
 */
export function sysBpfCall(cmd: number, attr: number, size: number, commandName: string): number {
  const ret = (BPF ?? bindBpf())(NR_BPF, cmd, attr, size);
  if (ret < 0) fail({ syscall: 'bpf', command: commandName });
  return ret;
}

/**
 * Raw `bpf()` that reports failure as a negative errno instead of throwing,
 * for probes and for commands whose ENOENT is an ordinary answer.
 */
export function sysBpfTry(cmd: number, attr: number, size: number): number {
  const ret = (BPF ?? bindBpf())(NR_BPF, cmd, attr, size);
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
  const call = (BPF ?? bindBpf()) as unknown as { async: (...a: unknown[]) => void };
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
