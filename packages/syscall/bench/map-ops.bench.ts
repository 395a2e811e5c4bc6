/**
 * MAP_LOOKUP_ELEM and MAP_UPDATE_ELEM through @ts-ebpf/syscall versus the same
 * loops in C (bench/map-ops.c, compiled here), in one run. Prints ns/op and the
 * ratio; goal: ratio <= 1.15. Each line also gives the bare FFI call, in brackets: the same
 * operation through koffi's `syscall()` with the attr, key and value prepared once in native
 * memory, and no code of ours around it: the floor any bpf() wrapper over koffi can reach.
 *
 *   npm run bench -w @ts-ebpf/syscall     (N=1000000 by default; BENCH_N to change)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import {
  BpfCmd,
  BpfMapType,
  close,
  mapCreate,
  mapLookupElem,
  mapUpdateElem,
  syscallTable,
} from '../src/index.js';

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

// The same shape of syscall() as the package's own bpf() binding.
const bareSyscall = koffi.load('libc.so.6').func('long syscall(long nr, long cmd, long attr, long size)') as (
  ...args: number[]
) => number;

function floorRun(): { update: number; lookup: number } {
  const fd = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1024 });
  const sys = bareSyscall;
  // attr (32 bytes: fd, key and value addresses, flags 0), then the key (u32 7), then the value
  const mem = koffi.alloc('uint8_t', 48);
  const base = Number(koffi.address(mem));
  const bytes = koffi.view(mem, 48) as ArrayBuffer;
  new Uint8Array(bytes).fill(0);
  const view = new DataView(bytes);
  view.setUint32(0, fd, true);
  view.setBigUint64(8, BigInt(base + 32), true);
  view.setBigUint64(16, BigInt(base + 40), true);
  view.setUint32(32, 7, true);
  const nr = syscallTable().bpf;
  try {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sys(nr, BpfCmd.MAP_UPDATE_ELEM, base, 32);
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sys(nr, BpfCmd.MAP_LOOKUP_ELEM, base, 32);
    const t2 = process.hrtime.bigint();
    if (sys(nr, BpfCmd.MAP_LOOKUP_ELEM, base, 32) !== 0) throw new Error('floor lookup failed');
    return { update: Number(t1 - t0) / N, lookup: Number(t2 - t1) / N };
  } finally {
    koffi.free(mem);
    close(fd);
  }
}

const best = (runs: { update: number; lookup: number }[]) => ({
  update: Math.min(...runs.map((r) => r.update)),
  lookup: Math.min(...runs.map((r) => r.lookup)),
});

const c: { update: number; lookup: number }[] = [];
const js: { update: number; lookup: number }[] = [];
const floor: { update: number; lookup: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  c.push(cBaseline());
  js.push(jsRun());
  floor.push(floorRun());
}
const cb = best(c);
const jb = best(js);
const fb = best(floor);
console.log(`@ts-ebpf/syscall map ops, ${N} ops each, best of ${ROUNDS} interleaved rounds`);
for (const op of ['lookup', 'update'] as const) {
  console.log(
    `  ${op.padEnd(6)}  js ${jb[op].toFixed(0).padStart(5)} ns/op   C ${cb[op].toFixed(0).padStart(5)} ns/op   ratio ${(jb[op] / cb[op]).toFixed(3)}   (bare koffi call ${fb[op].toFixed(0)} ns/op, ratio ${(fb[op] / cb[op]).toFixed(3)})`,
  );
}
