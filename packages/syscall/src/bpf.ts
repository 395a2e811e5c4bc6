import { BpfCmd } from '@ts-ebpf/uapi';
import { type Attr, keepAlive } from './attr.js';
import { forgetFd } from './fd-cache.js';
import { sysBpfCall, sysBpfTry, sysBpfTryAsync } from './ffi/bpf-call.js';
import { pointerOf } from './ffi/pointers.js';
import { bpfTryOnHelpers, bpfTryOnThreads } from './helper-threads.js';
import { checkBuffer, checkInt } from './validate.js';

const COMMAND_NAMES: string[] = [];
for (const [name, value] of Object.entries(BpfCmd)) COMMAND_NAMES[value] = `BPF_${name}`;

// The commands whose result is a new file descriptor: what is known about its number is stale.
const CREATES_FD = new Uint8Array(COMMAND_NAMES.length + 1);
for (const cmd of [
  BpfCmd.MAP_CREATE,
  BpfCmd.PROG_LOAD,
  BpfCmd.OBJ_GET,
  BpfCmd.PROG_GET_FD_BY_ID,
  BpfCmd.MAP_GET_FD_BY_ID,
  BpfCmd.BTF_LOAD,
  BpfCmd.BTF_GET_FD_BY_ID,
  BpfCmd.RAW_TRACEPOINT_OPEN,
  BpfCmd.LINK_CREATE,
  BpfCmd.LINK_GET_FD_BY_ID,
  BpfCmd.ENABLE_STATS,
  BpfCmd.ITER_CREATE,
  BpfCmd.TOKEN_CREATE,
])
  CREATES_FD[cmd] = 1;

/** The `BPF_*` name of a bpf() command number, for messages. */
export function bpfCommandName(cmd: number): string {
  return COMMAND_NAMES[cmd] ?? `bpf command ${cmd}`;
}

/**
 * The raw `bpf(cmd, attr, size)` system call. `size` defaults to the whole buffer. Returns the
 * kernel's non-negative result (often a new fd). The kernel reads `size` bytes of `attr` (checked)
 * and follows the pointers inside it: those cannot be checked here. The caller must point each at
 * memory at least as large as the size or count the attr gives with it (writable where the
 * kernel writes), and keep it alive until this returns; prefer the typed wrappers
 * (`mapLookupElem`, `progLoad` …), which build every pointer from a buffer and its length.
 * @throws BpfArgumentError for a detached or too short `attr`
 * @throws BpfSyscallError (or a subclass) carrying errno and a hint.
 */
export function bpfSyscall(cmd: number, attr: Uint8Array, size: number = attr.byteLength): number {
  const name = bpfCommandName(checkInt(cmd, 'cmd', 0, 0xffff));
  checkInt(size, 'size', 0, 0xffffffff);
  checkBuffer(attr, name, 'attr', Math.max(size, 1), `a size of ${size}`);
  const result = sysBpfCall(cmd, pointerOf(attr), size, name);
  keepAlive(attr);
  if (CREATES_FD[cmd] === 1) forgetFd(result);
  return result;
}

/** `bpf()` without validation, for this package's wrappers: throws with the command name. */
export function bpfCall(cmd: number, attr: Attr, size: number): number {
  const result = sysBpfCall(cmd, attr.address, size, COMMAND_NAMES[cmd] ?? `bpf command ${cmd}`);
  if (CREATES_FD[cmd] === 1) forgetFd(result);
  return result;
}

/** `bpf()` returning `-errno` instead of throwing: for probes and expected failures. */
export function bpfTry(cmd: number, attr: Attr, size: number): number {
  const result = sysBpfTry(cmd, attr.address, size);
  if (result >= 0 && CREATES_FD[cmd] === 1) forgetFd(result);
  return result;
}

/**
 * {@link bpfTry} on a worker thread: the caller keeps `attr` (and what it points to) for itself
 * until the promise settles.
 */
export async function bpfTryAsync(cmd: number, attr: Attr, size: number): Promise<number> {
  const result = await sysBpfTryAsync(cmd, attr.address, size);
  if (result >= 0 && CREATES_FD[cmd] === 1) forgetFd(result);
  return result;
}

/**
 * {@link bpfTry} of `cmd` (a command that makes a file descriptor) for every attr, made on this
 * thread and `threads - 1` helper threads at once; each result in order. A call failing with
 * EAGAIN is tried up to `attempts` times.
 */
export function bpfTryParallel(
  cmd: number,
  attrs: readonly Attr[],
  size: number,
  threads: number,
  attempts: number,
): Int32Array {
  return forgetResults(
    bpfTryOnThreads(
      cmd,
      attrs.map((a) => a.address),
      size,
      threads,
      attempts,
    ),
  );
}

/** {@link bpfTryParallel} made by `helpers` helper threads alone, this thread not blocked. */
export async function bpfTryParallelAsync(
  cmd: number,
  attrs: readonly Attr[],
  size: number,
  helpers: number,
  attempts: number,
): Promise<Int32Array> {
  return forgetResults(
    await bpfTryOnHelpers(
      cmd,
      attrs.map((a) => a.address),
      size,
      helpers,
      attempts,
    ),
  );
}

/** `results`, each new descriptor's cached facts forgotten. */
function forgetResults(results: Int32Array): Int32Array {
  for (const fd of results) if (fd >= 0) forgetFd(fd);
  return results;
}
