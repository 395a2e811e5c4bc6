/**
 * Helper threads for batches of independent `bpf()` calls (program loads, whose verification is
 * nearly all of their time): the calls of one batch are spread over helper threads, and over the
 * calling thread too when it blocks until they are done.
 *
 * A helper is a Node worker thread that loads koffi and libc itself and makes the same `bpf()`
 * call as {@link sysBpfTry} (the attrs live in native memory, whose addresses are valid on every
 * thread of the process). Each batch has its own table in a `SharedArrayBuffer` (its calls, each
 * call's state and result, a count of finished calls), posted to the helpers it may use. A helper
 * sleeps in `Atomics.wait` on the pool's epoch word until a batch is published, takes the batch's
 * ready calls one at a time (a compare-and-swap on the call's state, so no call runs twice, whoever
 * takes it), and sleeps again when none is left: one wake per batch, not per call. Batches may
 * overlap (an asynchronous one in flight while another starts): each has its own table.
 * Helpers are started on first use, kept for later batches, and do not keep the process alive
 * (`unref`) unless an asynchronous batch waits on them; {@link stopHelperThreads} ends them.
 */
import { Worker } from 'node:worker_threads';
import { describeValue, Errno } from '@ts-ebpf/uapi';
import { BpfArgumentError, HelperThreadError } from './errors.js';
import { sysBpfTry } from './ffi/bpf-call.js';
import { sysClose } from './ffi/files.js';
import { helperThreadNative } from './ffi/native.js';

/** The most threads one batch may use (the calling thread included). */
export const MAX_THREADS = 64;

// The pool's control words.
const EPOCH = 0; // bumped when a batch is published (helpers wait on it)
const STOP = 1; // 1: helpers return

// A batch table's header words.
const COUNT = 0; // calls in the batch
const DONE = 1; // calls finished (a waiting caller waits on it)
const ATTEMPTS = 2; // tries of a call that fails with EAGAIN
const MESSAGE_TAKEN = 3; // 1 once a thread writes the message of a call that threw
const HEADER_WORDS = 4;

// A call's state.
const READY = 1;
const TAKEN = 2;
const FINISHED = 3;

/** The result of a call that threw (koffi refused it) instead of returning: never an errno. */
const THREW = -0x80000000;
const MESSAGE_BYTES = 512;

/** The views of one batch table, laid out the same way on every thread. */
interface Table {
  readonly header: Int32Array;
  readonly address: Float64Array;
  readonly cmd: Int32Array;
  readonly size: Int32Array;
  readonly state: Int32Array;
  readonly result: Int32Array;
  /** The text of the first error a helper threw (UTF-8, NUL-padded). */
  readonly message: Uint8Array;
}

/** Where the parts of a table of `n` calls start (byte offsets), and its size in bytes. */
interface TableOffsets {
  readonly n: number;
  readonly address: number;
  readonly cmd: number;
  readonly size: number;
  readonly state: number;
  readonly result: number;
  readonly message: number;
  readonly bytes: number;
}

/** The numbers the table functions use, passed to them: they run on the helpers too (as source). */
const K = {
  COUNT,
  DONE,
  ATTEMPTS,
  MESSAGE_TAKEN,
  HEADER_WORDS,
  READY,
  TAKEN,
  FINISHED,
  THREW,
  MESSAGE_BYTES,
  EAGAIN: Errno.EAGAIN,
} as const;
type Constants = typeof K;

// tableOffsets(), layout() and takeCalls() run on this thread and, as the text of their source, on
// the helpers: they use nothing but their arguments and JavaScript's globals (no module binding, no
// inner function), so that their text means the same anywhere, bundled or not.

/** The offsets of a table of `n` calls: the one account of its layout. */
function tableOffsets(n: number, k: Constants): TableOffsets {
  const address = k.HEADER_WORDS * 4;
  const cmd = address + n * 8;
  const size = cmd + n * 4;
  const state = size + n * 4;
  const result = state + n * 4;
  const message = result + n * 4;
  return { n, address, cmd, size, state, result, message, bytes: message + k.MESSAGE_BYTES };
}

/** The views of a batch table laid out at `at`. */
function layout(buffer: SharedArrayBuffer, at: TableOffsets, k: Constants): Table {
  return {
    header: new Int32Array(buffer, 0, k.HEADER_WORDS),
    address: new Float64Array(buffer, at.address, at.n),
    cmd: new Int32Array(buffer, at.cmd, at.n),
    size: new Int32Array(buffer, at.size, at.n),
    state: new Int32Array(buffer, at.state, at.n),
    result: new Int32Array(buffer, at.result, at.n),
    message: new Uint8Array(buffer, at.message, k.MESSAGE_BYTES),
  };
}

/**
 * Takes the ready calls of a table one at a time and makes them: what a helper does with a table,
 * and the calling thread with a blocking batch's (or an asynchronous one's whose helper failed).
 * `call(cmd, address, size)` returns the result or -errno; a call that throws is recorded as
 * THREW, and the table keeps the first such message.
 */
function takeCalls(
  t: Table,
  call: (cmd: number, address: number, size: number) => number,
  k: Constants,
): void {
  const count = t.header[k.COUNT]!;
  const attempts = t.header[k.ATTEMPTS]!;
  for (let i = 0; i < count; i++) {
    if (Atomics.compareExchange(t.state, i, k.READY, k.TAKEN) !== k.READY) continue;
    let r = 0;
    try {
      for (let n = 0; n < attempts; n++) {
        r = call(t.cmd[i]!, t.address[i]!, t.size[i]!);
        if (r !== -k.EAGAIN) break;
      }
    } catch (e) {
      r = k.THREW;
      if (Atomics.compareExchange(t.header, k.MESSAGE_TAKEN, 0, 1) === 0)
        new TextEncoder().encodeInto(
          String((e as Error)?.message),
          t.message.subarray(0, k.MESSAGE_BYTES - 1),
        );
    }
    t.result[i] = r;
    Atomics.store(t.state, i, k.FINISHED);
    Atomics.add(t.header, k.DONE, 1);
    Atomics.notify(t.header, k.DONE);
  }
}

// A helper's program (a CommonJS script run with `eval`: no file to find next to a bundle). Batch
// tables arrive as messages, read without an event loop turn (receiveMessageOnPort). A stop is
// obeyed only once every table posted before it is done, so no batch is left waiting.
const HELPER_SOURCE = `
const { workerData: d, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const koffi = require(d.koffiPath);
const bpf = koffi.load(d.libc).func(d.prototype);
const tableOffsets = ${tableOffsets.toString()};
const layout = ${layout.toString()};
const takeCalls = ${takeCalls.toString()};
const k = d.constants;
const call = (cmd, address, size) => {
  const r = bpf(d.nr, cmd, address, size);
  return r < 0 ? -koffi.errno() : r;
};
const control = new Int32Array(d.control);
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(control, ${EPOCH}, seen);
  seen = Atomics.load(control, ${EPOCH});
  for (let m; (m = receiveMessageOnPort(parentPort)) !== undefined; ) {
    const n = new Int32Array(m.message, 0, k.HEADER_WORDS)[k.COUNT];
    takeCalls(layout(m.message, tableOffsets(n, k), k), call, k);
  }
  if (Atomics.load(control, ${STOP}) !== 0) break;
}
`;

/** The running pool: its control words and helpers. */
interface Pool {
  readonly control: Int32Array;
  readonly helpers: (Worker | undefined)[];
  /** Per helper: settles when it is ready to take calls (or has failed). */
  readonly ready: Promise<void>[];
  /** What made a helper fail, until the next batch reports it. */
  failure: Error | undefined;
  /** Asynchronous batches waiting on the helpers (they are referenced meanwhile). */
  waiting: number;
  /** Called with a helper's failure: the asynchronous batches waiting now. */
  readonly watchers: Set<(error: Error) => void>;
}

let pool: Pool | undefined;

function startHelper(p: Pool, index: number): void {
  let worker: Worker;
  try {
    worker = new Worker(HELPER_SOURCE, {
      eval: true,
      workerData: { ...helperThreadNative(), control: p.control.buffer, constants: K },
      stdout: false,
      stderr: false,
    });
  } catch (cause) {
    // Worker threads refused (a permission model without --allow-worker, no resources).
    throw new HelperThreadError('cannot start a helper thread of bpf() calls', { cause });
  }
  if (p.waiting === 0) worker.unref();
  let settle: (error?: Error) => void = () => {};
  p.ready[index] = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  p.ready[index].catch(() => {}); // reported by the next batch, or by startHelperThreads
  // A helper that cannot start, or stops, takes no more calls: a blocking batch's calling thread
  // takes them, and the asynchronous batches waiting now are told (their calling thread takes them).
  // The next batch reports why, and starts a new helper in its place.
  const fail = (error: Error) => {
    settle(error);
    if (p.helpers[index] !== worker) return;
    p.helpers[index] = undefined;
    p.failure ??= error;
    for (const watcher of p.watchers) watcher(error);
  };
  worker.once('message', () => settle());
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => fail(new Error(`the helper thread exited with code ${code}`)));
  p.helpers[index] = worker;
}

/**
 * The pool with `helpers` live helpers at least (those missing are started now, and take calls
 * once they are up: a blocking caller does not wait for them).
 * @throws HelperThreadError when a helper failed since the last batch (a new one takes its place next time)
 */
function poolWith(helpers: number): Pool {
  const p: Pool = pool ?? {
    control: new Int32Array(new SharedArrayBuffer(8)),
    helpers: [],
    ready: [],
    failure: undefined,
    waiting: 0,
    watchers: new Set(),
  };
  pool = p;
  if (p.failure) {
    const cause = p.failure;
    p.failure = undefined;
    throw new HelperThreadError('a helper thread of bpf() calls failed', { cause });
  }
  for (let i = 0; i < helpers; i++) if (!p.helpers[i]) startHelper(p, i);
  return p;
}

/**
 * Checks a count of threads that make system calls at once (`progLoadParallel`'s): an integer
 * from 1 (the calling thread alone) to {@link MAX_THREADS}.
 * @returns `threads`
 * @throws BpfArgumentError naming `argument`
 */
export function checkThreads(threads: number, argument: string): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new BpfArgumentError(
      argument,
      `${describeValue(threads)} is not a thread count: give an integer from 1 to ${MAX_THREADS}`,
    );
  return threads;
}

/** A table of the calls `bpf(cmd, addresses[i], size)`, every one ready. */
function tableOf(cmd: number, addresses: readonly number[], size: number, attempts: number): Table {
  const at = tableOffsets(addresses.length, K);
  const t = layout(new SharedArrayBuffer(at.bytes), at, K);
  t.header[COUNT] = addresses.length;
  t.header[ATTEMPTS] = attempts;
  t.address.set(addresses);
  t.cmd.fill(cmd);
  t.size.fill(size);
  t.state.fill(READY);
  return t;
}

/** Posts `t` to the first `helpers` helpers and wakes them. */
function publish(p: Pool, t: Table, helpers: number): void {
  for (let i = 0; i < helpers; i++) p.helpers[i]?.postMessage(t.header.buffer);
  wakeHelpers(p);
}

/** Wakes every helper of `p` (they read their tables, then the stop word). */
function wakeHelpers(p: Pool): void {
  Atomics.add(p.control, EPOCH, 1);
  Atomics.notify(p.control, EPOCH);
}

/** The calling thread's call: the result or -errno. */
const callHere = (cmd: number, address: number, size: number) => sysBpfTry(cmd, address, size);

/**
 * The results of a finished table, in order.
 * @throws HelperThreadError when a helper's call threw (the descriptors the others made are closed)
 */
function resultsOf(t: Table): Int32Array {
  const results = t.result.slice();
  if (!results.includes(THREW)) return results;
  closeFinished(t);
  const end = t.message.indexOf(0);
  const text = new TextDecoder().decode(t.message.slice(0, end < 0 ? MESSAGE_BYTES : end));
  throw new HelperThreadError(`a bpf() call of a batch threw: ${text}`);
}

/** Closes the descriptors the finished calls of `t` made. */
function closeFinished(t: Table): void {
  for (let i = 0; i < t.result.length; i++)
    if (Atomics.load(t.state, i) === FINISHED && t.result[i]! >= 0) sysClose(t.result[i]!);
}

/**
 * Runs `bpf(cmd, addresses[i], size)` for every address, on this thread and `threads - 1` helper
 * threads at once, and returns each call's result (a new file descriptor) or `-errno`, in order.
 * `cmd` is a command whose result is a new descriptor (a program load). A call failing with EAGAIN
 * is tried up to `attempts` times. Blocks until every call has returned; the caller keeps every
 * attr, and what it points to, alive until then.
 * @throws HelperThreadError when a helper failed since the last batch (no call was made), or a
 *   helper's call threw (the descriptors the batch's other calls made are closed)
 */
export function bpfTryOnThreads(
  cmd: number,
  addresses: readonly number[],
  size: number,
  threads: number,
  attempts: number,
): Int32Array {
  const t = tableOf(cmd, addresses, size, attempts);
  if (threads > 1 && addresses.length > 0) publish(poolWith(threads - 1), t, threads - 1);
  takeCalls(t, callHere, K);
  const count = addresses.length;
  // A helper still making a call it took (it cannot fail without finishing the call but by
  // dying in it: out of memory, or the process ending).
  for (let done = Atomics.load(t.header, DONE); done < count; done = Atomics.load(t.header, DONE))
    Atomics.wait(t.header, DONE, done);
  return resultsOf(t);
}

// Atomics.waitAsync (Node 16+; not in this project's TypeScript library yet).
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * {@link bpfTryOnThreads} made by `helpers` helper threads alone, without blocking this thread:
 * resolves to the results once every call has returned (the helpers keep the process alive
 * meanwhile). The caller keeps every attr, and what it points to, alive until then.
 * @throws HelperThreadError as {@link bpfTryOnThreads}
 */
export async function bpfTryOnHelpers(
  cmd: number,
  addresses: readonly number[],
  size: number,
  helpers: number,
  attempts: number,
): Promise<Int32Array> {
  const count = addresses.length;
  if (count === 0) return new Int32Array(0);
  const p = poolWith(helpers);
  const t = tableOf(cmd, addresses, size, attempts);
  const posted = p.helpers.slice(0, helpers);
  let failure: Error | undefined;
  let wake = () => {};
  const watcher = (error: Error) => {
    failure ??= error;
    wake();
  };
  p.watchers.add(watcher);
  if (p.waiting++ === 0) for (const w of p.helpers) w?.ref();
  try {
    publish(p, t, helpers);
    for (let done = Atomics.load(t.header, DONE); done < count; done = Atomics.load(t.header, DONE)) {
      if (failure) {
        // A helper of this batch failed: this thread makes the calls no helper has taken.
        takeCalls(t, callHere, K);
        if (Atomics.load(t.header, DONE) >= count) break;
        if (posted.every((w) => !p.helpers.includes(w))) {
          // Every helper it was posted to is gone, one of them in the middle of a call.
          closeFinished(t);
          throw new HelperThreadError('the helper threads of a batch of bpf() calls failed during it', {
            cause: failure,
          });
        }
      }
      const wait = waitAsync(t.header, DONE, done);
      if (wait.async) await Promise.race([wait.value, new Promise<void>((resolve) => (wake = resolve))]);
    }
  } finally {
    p.watchers.delete(watcher);
    if (--p.waiting === 0) for (const w of p.helpers) w?.unref();
  }
  return resultsOf(t);
}

/**
 * Starts the helper threads that loads on `threads` threads use (`threads - 1` of them), and
 * resolves once each is ready to take calls. A blocking load starts the helpers it lacks itself,
 * but does not wait for them: a new helper takes calls only from when it is up (a few tens of
 * milliseconds), so the first load runs mostly on the calling thread. Call this ahead (at
 * start-up) for the first load to use them.
 * @throws BpfArgumentError for a bad thread count
 * @throws HelperThreadError when a helper could not start (its error is the cause)
 */
export async function startHelperThreads(threads: number): Promise<void> {
  checkThreads(threads, 'threads');
  const p = poolWith(threads - 1);
  try {
    await Promise.all(p.ready.slice(0, threads - 1));
  } catch (cause) {
    if (p.failure === cause) p.failure = undefined;
    throw new HelperThreadError('a helper thread of bpf() calls could not start', { cause });
  }
}

/**
 * Ends the helper threads that batches of system calls on several threads started (program loads
 * with `threads` above 1, `loadCollectionAsync`), and resolves once they have exited. They do not
 * keep the process alive, so this is needed only to release them (their memory, and the few
 * descriptors each Node thread holds) early; a later batch starts new ones. The helpers finish the
 * batches already given to them before they exit.
 */
export async function stopHelperThreads(): Promise<void> {
  const p = pool;
  if (!p) return;
  pool = undefined;
  const live = p.helpers.filter((w) => w !== undefined);
  // Forgotten first: their exits are no failure.
  p.helpers.length = 0;
  // Referenced again until they exit: the process waits for them while this promise is pending.
  const exited = live.map((w) => {
    w.ref();
    return new Promise<void>((resolve) => w.once('exit', () => resolve()));
  });
  Atomics.store(p.control, STOP, 1);
  wakeHelpers(p);
  await Promise.all(exited);
}
