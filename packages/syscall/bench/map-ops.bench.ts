/**
 * MAP_LOOKUP_ELEM and MAP_UPDATE_ELEM through @ts-ebpf/syscall versus the same
 * loops in C (bench/map-ops.c, compiled here), in one run. Prints ns/op and the
 * ratio; goal: ratio <= 1.15.
 *
 *   npm run bench -w @ts-ebpf/syscall     (N=1000000 by default; BENCH_N to change)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfMapType, close, mapCreate, mapLookupElem, mapUpdateElem } from '../src/index.js';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const ROUNDS = 3;

function cBaseline(): { update: number; lookup: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
  const bin = join(dir, 'map-ops');
  execFileSync('gcc', ['-O2', '-o', bin, new URL('./map-ops.c', import.meta.url).pathname]);
  return JSON.parse(execFileSync(bin, [String(N)], { encoding: 'utf8' }));
}

function jsRun(): { update: number; lookup: number } {
  const fd = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1024 });
  const key = new Uint8Array(new Uint32Array([7]).buffer);
  const value = new Uint8Array(8);
  const view = new DataView(value.buffer);
  try {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      view.setUint32(0, i, true);
      mapUpdateElem(fd, key, value);
    }
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) mapLookupElem(fd, key, value);
    const t2 = process.hrtime.bigint();
    return { update: Number(t1 - t0) / N, lookup: Number(t2 - t1) / N };
  } finally {
    close(fd);
  }
}

const best = (runs: { update: number; lookup: number }[]) => ({
  update: Math.min(...runs.map((r) => r.update)),
  lookup: Math.min(...runs.map((r) => r.lookup)),
});

const c: { update: number; lookup: number }[] = [];
const js: { update: number; lookup: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  c.push(cBaseline());
  js.push(jsRun());
}
const cb = best(c);
const jb = best(js);
console.log(`@ts-ebpf/syscall map ops, ${N} ops each, best of ${ROUNDS} interleaved rounds`);
for (const op of ['lookup', 'update'] as const) {
  console.log(
    `  ${op.padEnd(6)}  js ${jb[op].toFixed(0).padStart(5)} ns/op   C ${cb[op].toFixed(0).padStart(5)} ns/op   ratio ${(jb[op] / cb[op]).toFixed(3)}`,
  );
}
