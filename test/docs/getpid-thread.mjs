// Preloaded (`node --import`) by getpid-threads.test.ts into a snippet or example: starts a
// worker thread that calls getpid() in a loop for as long as the process runs, and returns only
// once that thread is calling, so its calls overlap the counting of the main thread's calls.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const started = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(
  `const { workerData } = require('node:worker_threads');
const getpid = require(workerData.koffi).load('libc.so.6').func('int getpid()');
getpid();
Atomics.store(workerData.started, 0, 1);
Atomics.notify(workerData.started, 0);
for (;;) getpid();`,
  { eval: true, workerData: { started, koffi: createRequire(import.meta.url).resolve('koffi') } },
);
worker.unref(); // the process ends when its main thread is done
if (Atomics.wait(started, 0, 0, 30_000) === 'timed-out') throw new Error('the getpid() thread did not start');
