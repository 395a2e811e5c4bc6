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
const stopped = new Int32Array(stop);

for (;;) {
  if (Atomics.load(stopped, 0) !== 0) break;
  let ids: number[];
  try {
    ids = epollWait(epfd, 64, -1).map((r) => r.data);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'EINTR') continue;
    break;
  }
  if (ids.includes(0) || Atomics.load(stopped, 0) !== 0) break;
  parentPort?.postMessage(ids);
}

// Loader hooks (tsx in source mode) may keep a port open: leave explicitly.
process.exit(0);
