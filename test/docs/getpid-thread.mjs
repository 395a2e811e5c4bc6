// Preloaded (`node --import`) by getpid-threads.test.ts into a snippet or example: starts a
// worker thread that calls getpid() in a loop for as long as the process runs, and returns only
// once that thread is calling, so its calls overlap the counting of the main thread's calls.
// At exit the thread is asked to stop, and waited for, so it is not torn down mid-call.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const CALLING = 1;
const STOP = 2;
const state = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(
  `const { workerData: { state, koffi } } = require('node:worker_threads');
const getpid = require(koffi).load('libc.so.6').func('int getpid()');
getpid();
Atomics.store(state, 0, ${CALLING});
Atomics.notify(state, 0);
while (Atomics.load(state, 0) === ${CALLING}) getpid();
Atomics.store(state, 0, 0);
Atomics.notify(state, 0);`,
  { eval: true, workerData: { state, koffi: createRequire(import.meta.url).resolve('koffi') } },
);
worker.unref(); // the process ends when its main thread is done
worker.on('error', (e) => {
  throw e;
});
if (Atomics.wait(state, 0, 0, 60_000) === 'timed-out') throw new Error('the getpid() thread did not start');
process.on('exit', () => {
  Atomics.store(state, 0, STOP);
  Atomics.wait(state, 0, STOP, 10_000);
});
