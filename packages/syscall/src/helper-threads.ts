/**
 * Helper threads for batches of independent `bpf()` calls: the calls of one batch (program loads,
 * whose verification is nearly all of their time) are spread over the calling thread and helper
 * threads, and the calling thread returns once every call has.
 *
 * A helper is a Node worker thread that loads koffi and libc itself and makes the same `bpf()`
 * call as {@link sysBpfTry} (the attrs live in native memory, whose addresses are valid on every
 * thread of the process). The threads share one `SharedArrayBuffer`: the batch's calls, each
 * call's state and result, and a few control words. A helper sleeps in `Atomics.wait` until a
 * batch is published, takes ready calls one at a time (a compare-and-swap on the call's state, so
 * no call runs twice), and goes back to sleep when none is left: one wake per batch, not per call.
 * Helpers are started on first use, kept for later batches, and do not keep the process alive
 * (`unref`); {@link stopHelperThreads} ends them.
 */
import { Worker } from 'node:worker_threads';
import { Errno } from '@ts-ebpf/uapi';
import { BpfArgumentError, HelperThreadError } from './errors.js';
import { helperThreadNative, sysBpfTry, sysClose } from './ffi.js';

/** Calls published at once; a larger batch is run in parts of this many. */
const CAPACITY = 256;
/** The most threads one batch may use (this one included). */
export const MAX_THREADS = 64;

// Control words.
const EPOCH = 0; // bumped when a batch part is published (helpers wait on it)
const COUNT = 1; // calls in the part
const DONE = 2; // calls finished (the calling thread waits on it)
const ALLOWED = 3; // helpers that may take calls of this part (helper i takes calls if i < ALLOWED)
const STOP = 4; // 1: helpers return
const ATTEMPTS = 5; // tries of a call that fails with EAGAIN
const CTRL_WORDS = 8;

// A call's state.
const EMPTY = 0;
const READY = 1;
const TAKEN = 2;
const FINISHED = 3;

/** The result of a call whose helper threw (koffi refused the call): never an errno. */
const THREW = -0x80000000;
const MESSAGE_BYTES = 512;

/** The views of one pool's shared memory, laid out the same way on every thread. */
interface Shared {
  readonly buffer: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly address: Float64Array;
  readonly cmd: Int32Array;
  readonly size: Int32Array;
  readonly state: Int32Array;
  readonly result: Int32Array;
  /** The text of the first error a helper threw (UTF-8, NUL-padded). */
  readonly message: Uint8Array;
}

function views(buffer: SharedArrayBuffer, capacity: number): Shared {
  let at = 0;
  const take = (bytes: number) => {
    const start = at;
    at += bytes;
    return start;
  };
  const ctrl = new Int32Array(buffer, take(CTRL_WORDS * 4), CTRL_WORDS);
  const address = new Float64Array(buffer, take(capacity * 8), capacity);
  const cmd = new Int32Array(buffer, take(capacity * 4), capacity);
  const size = new Int32Array(buffer, take(capacity * 4), capacity);
  const state = new Int32Array(buffer, take(capacity * 4), capacity);
  const result = new Int32Array(buffer, take(capacity * 4), capacity);
  const message = new Uint8Array(buffer, take(MESSAGE_BYTES), MESSAGE_BYTES);
  return { buffer, ctrl, address, cmd, size, state, result, message };
}

/** The bytes one pool's shared memory takes. */
const SHARED_BYTES = CTRL_WORDS * 4 + CAPACITY * 8 + CAPACITY * 4 * 4 + MESSAGE_BYTES;

// A helper's program (a CommonJS script run with `eval`: no file to find next to a bundle). It
// repeats the layout above from the numbers it is given, and runs each call as runCall() does.
const HELPER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const d = workerData;
const koffi = require(d.koffiPath);
const bpf = koffi.load(d.libc).func(d.prototype);
const C = d.capacity;
let at = 0;
const take = (bytes) => { const s = at; at += bytes; return s; };
const ctrl = new Int32Array(d.buffer, take(${CTRL_WORDS} * 4), ${CTRL_WORDS});
const address = new Float64Array(d.buffer, take(C * 8), C);
const cmd = new Int32Array(d.buffer, take(C * 4), C);
const size = new Int32Array(d.buffer, take(C * 4), C);
const state = new Int32Array(d.buffer, take(C * 4), C);
const result = new Int32Array(d.buffer, take(C * 4), C);
const message = new Uint8Array(d.buffer, take(${MESSAGE_BYTES}), ${MESSAGE_BYTES});
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${EPOCH}, seen);
  seen = Atomics.load(ctrl, ${EPOCH});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  if (d.index >= Atomics.load(ctrl, ${ALLOWED})) continue;
  const count = Atomics.load(ctrl, ${COUNT});
  const attempts = Atomics.load(ctrl, ${ATTEMPTS});
  for (let i = 0; i < count; i++) {
    if (Atomics.compareExchange(state, i, ${READY}, ${TAKEN}) !== ${READY}) continue;
    let r;
    try {
      for (let n = 0; n < attempts; n++) {
        r = bpf(d.nr, cmd[i], address[i], size[i]);
        r = r < 0 ? -koffi.errno() : r;
        if (r !== -${Errno.EAGAIN}) break;
      }
    } catch (e) {
      r = ${THREW};
      if (message[0] === 0) new TextEncoder().encodeInto(String(e && e.message), message.subarray(0, ${MESSAGE_BYTES - 1}));
    }
    result[i] = r;
    Atomics.store(state, i, ${FINISHED});
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
`;

/** The running pool: its shared memory and helpers (helper i, at `helpers[i]`, takes calls while i < ALLOWED). */
interface Pool {
  readonly shared: Shared;
  readonly helpers: (Worker | undefined)[];
  /** Per helper: settles when it is ready to take calls (or has failed). */
  readonly ready: Promise<void>[];
  /** What made a helper fail, until the next batch reports it. */
  failure: Error | undefined;
}

let pool: Pool | undefined;

function startHelper(p: Pool, index: number): void {
  const worker = new Worker(HELPER_SOURCE, {
    eval: true,
    workerData: { ...helperThreadNative(), buffer: p.shared.buffer, capacity: CAPACITY, index },
    stdout: false,
    stderr: false,
  });
  worker.unref();
  let settle: (error?: Error) => void = () => {};
  p.ready[index] = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  p.ready[index].catch(() => {}); // reported by the next batch, or by startHelperThreads
  // A helper that cannot start, or stops, takes no more calls (the calling thread and the other
  // helpers run them). The next batch reports why, and starts a new helper in its place.
  const fail = (error: Error) => {
    settle(error);
    if (p.helpers[index] !== worker) return;
    p.helpers[index] = undefined;
    p.failure ??= error;
  };
  worker.once('message', () => settle());
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => fail(new Error(`the helper thread exited with code ${code}`)));
  p.helpers[index] = worker;
}

/**
 * The pool with `helpers` live helpers at least (those missing are started now, and take calls
 * once they are up: the calling thread does not wait for them).
 * @throws HelperThreadError when a helper failed since the last batch (a new one takes its place next time)
 */
function poolWith(helpers: number): Pool {
  const p: Pool = pool ?? {
    shared: views(new SharedArrayBuffer(SHARED_BYTES), CAPACITY),
    helpers: [],
    ready: [],
    failure: undefined,
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
      `${String(threads)} is not a thread count: give an integer from 1 (this thread alone) to ${MAX_THREADS}`,
    );
  return threads;
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
  const results = new Int32Array(addresses.length);
  if (threads <= 1) {
    for (let i = 0; i < addresses.length; i++) results[i] = tryCall(cmd, addresses[i]!, size, attempts);
    return results;
  }
  const p = poolWith(threads - 1);
  for (let start = 0; start < addresses.length; start += CAPACITY) {
    const count = Math.min(CAPACITY, addresses.length - start);
    if (!runPart(p.shared, cmd, addresses, start, count, size, threads - 1, attempts, results)) {
      const error = helperThrew(p.shared);
      for (let i = 0; i < start + count; i++) if (results[i]! >= 0) sysClose(results[i]!);
      throw error;
    }
  }
  return results;
}

function tryCall(cmd: number, address: number, size: number, attempts: number): number {
  let r = sysBpfTry(cmd, address, size);
  for (let n = 1; r === -Errno.EAGAIN && n < attempts; n++) r = sysBpfTry(cmd, address, size);
  return r;
}

/**
 * Publishes `count` calls from `start`, takes calls itself, and waits until all are finished.
 * @returns false when a helper's call threw (its result is THREW; the others are in `results`)
 */
function runPart(
  s: Shared,
  cmd: number,
  addresses: readonly number[],
  start: number,
  count: number,
  size: number,
  helpers: number,
  attempts: number,
  results: Int32Array,
): boolean {
  const { ctrl, state } = s;
  // Every call of the last part was finished and counted before it returned: no helper still
  // holds one, so DONE can start again from 0 before any call of this part is ready.
  Atomics.store(ctrl, DONE, 0);
  for (let i = 0; i < count; i++) {
    s.address[i] = addresses[start + i]!;
    s.cmd[i] = cmd;
    s.size[i] = size;
    Atomics.store(state, i, READY);
  }
  Atomics.store(ctrl, COUNT, count);
  Atomics.store(ctrl, ALLOWED, helpers);
  Atomics.store(ctrl, ATTEMPTS, attempts);
  Atomics.add(ctrl, EPOCH, 1);
  Atomics.notify(ctrl, EPOCH);
  for (let i = 0; i < count; i++) {
    if (Atomics.compareExchange(state, i, READY, TAKEN) !== READY) continue;
    s.result[i] = tryCall(cmd, s.address[i]!, size, attempts);
    Atomics.store(state, i, FINISHED);
    Atomics.add(ctrl, DONE, 1);
  }
  for (let done = Atomics.load(ctrl, DONE); done < count; done = Atomics.load(ctrl, DONE))
    Atomics.wait(ctrl, DONE, done);
  let threw = false;
  for (let i = 0; i < count; i++) {
    const r = s.result[i]!;
    threw ||= r === THREW;
    results[start + i] = r === THREW ? -1 : r;
    state[i] = EMPTY;
  }
  return !threw;
}

function helperThrew(s: Shared): HelperThreadError {
  const end = s.message.indexOf(0);
  const text = new TextDecoder().decode(s.message.slice(0, end < 0 ? MESSAGE_BYTES : end));
  s.message.fill(0);
  return new HelperThreadError(`a bpf() call on a helper thread threw: ${text}`);
}

/**
 * Starts the helper threads that loads on `threads` threads use (`threads - 1` of them), and
 * resolves once each is ready to take calls. A batch starts the helpers it lacks itself, but does
 * not wait for them: a new helper takes calls only from when it is up (a few tens of
 * milliseconds), so the first batch runs mostly on the calling thread. Call this ahead (at
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
 * with `threads` above 1), and resolves once they have exited. They do not keep the process alive,
 * so this is needed only to release them (their memory, and the few descriptors each Node thread
 * holds) early; a later batch starts new ones.
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
  Atomics.store(p.shared.ctrl, STOP, 1);
  Atomics.add(p.shared.ctrl, EPOCH, 1);
  Atomics.notify(p.shared.ctrl, EPOCH);
  await Promise.all(exited);
}
