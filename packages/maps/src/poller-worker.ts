/**
 * The poller's worker thread: blocks in epoll_wait (never on the main thread,
 * never in libuv's pool) and posts the ids of ready sources to the main thread.
 * Sources are registered EPOLLONESHOT, so a ready fd is reported once until the
 * main thread re-arms it. Id 0 is the shutdown eventfd.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BpfSyscallError, epollWait } from '@ts-ebpf/syscall';

interface PollerWorkerData {
  epfd: number;
  stop: SharedArrayBuffer;
}

const { epfd, stop } = workerData as PollerWorkerData;
// The wait is bounded: a thread blocked in epoll_wait cannot be terminated, and the worker thread
// that started it (where readers of a worker wait) could not end until a source became readable.
const STOP_CHECK_MS = 200;
const stopped = new Int32Array(stop);

for (;;) {
  if (Atomics.load(stopped, 0) !== 0) break;
  let ids: number[];
  try {
    ids = epollWait(epfd, 64, STOP_CHECK_MS).map((r) => r.data);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'EINTR') continue;
    break;
  }
  if (ids.includes(0) || Atomics.load(stopped, 0) !== 0) break;
  if (ids.length > 0) parentPort?.postMessage(ids);
}

// Loader hooks (tsx in source mode) may keep a port open: leave explicitly.
process.exit(0);
