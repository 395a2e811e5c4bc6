/**
 * @ts-ebpf/maps against C in the same run (bench/maps-baseline.c, compiled here with gcc -O2):
 * single lookup/update through BpfMap, batch lookups and iteration of a 1M-entry hash map.
 * Ring and perf buffer readers: bench/ring.bench.ts (bench/run.ts runs both).
 *
 *   npm run bench -w @ts-ebpf/maps      (BENCH_N=1000000 single ops by default;
 *                                        BENCH_PARTS=single,bulk for some parts)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { HashMap, pollersStopped, type RawBatchResult, u32, u64 } from '../src/index.js';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const ROUNDS = 3;
// BENCH_PARTS=single,bulk runs only those parts (default: all).
const parts = process.env.BENCH_PARTS?.split(',');
const wanted = (part: string) => !parts || parts.includes(part);
const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-maps-bench-'));
const bin = join(dir, 'maps-baseline');
execFileSync('gcc', ['-O2', '-o', bin, new URL('./maps-baseline.c', import.meta.url).pathname]);
const c = (...args: string[]) => JSON.parse(execFileSync(bin, args, { encoding: 'utf8' }));
// Single operations use the syscall package's C loop, so both benches compare with one baseline.
const opsBin = join(dir, 'map-ops');
execFileSync('gcc', [
  '-O2',
  '-o',
  opsBin,
  new URL('../../syscall/bench/map-ops.c', import.meta.url).pathname,
]);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const line = (what: string, js: number, cv: number, unit = 'ns/op') =>
  console.log(
    `  ${what.padEnd(34)} js ${js.toFixed(1).padStart(8)} ${unit}   C ${cv.toFixed(1).padStart(8)} ${unit}   ratio ${(js / cv).toFixed(3)}`,
  );

function singleOps(): { update: number; lookup: number; rawUpdate: number; rawLookup: number } {
  using m = HashMap.create({ key: u32, value: u64, maxEntries: 1024 });
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) m.set(7, BigInt(i));
  const update = (ms(t) * 1e6) / N;
  t = process.hrtime.bigint();
  let sink = 0n;
  for (let i = 0; i < N; i++) sink += m.get(7)!;
  const lookup = (ms(t) * 1e6) / N;
  if (sink < 0n) throw new Error('unreachable');
  const key = new Uint8Array([7, 0, 0, 0]);
  const value = new Uint8Array(8);
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) mapUpdateElem(m.fd, key, value);
  const rawUpdate = (ms(t) * 1e6) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) mapLookupElem(m.fd, key, value);
  const rawLookup = (ms(t) * 1e6) / N;
  return { update, lookup, rawUpdate, rawLookup };
}

interface BulkFigures {
  batch: number;
  raw: number;
  iterate: number;
  /** The C walks of the same map (pinned), in the same round. */
  cBatch: number;
  cWalk: number;
}

type BenchMap = ReturnType<typeof HashMap.create<number, bigint>>;

function walkDecoded(m: BenchMap, chunk: number): number {
  let seen = 0;
  for (let cursor = null as ReturnType<typeof m.getBatch>['cursor']; ; ) {
    const r = m.getBatch(cursor, chunk);
    seen += r.keys.length;
    if (r.done) return seen;
    cursor = r.cursor;
  }
}

// Refills one result, as a walk that reads each chunk before the next would.
function walkRaw(m: BenchMap, chunk: number): number {
  let seen = 0;
  let r: RawBatchResult | undefined;
  for (let cursor = null as ReturnType<typeof m.getBatch>['cursor']; ; ) {
    r = m.getBatchBytes(cursor, chunk, { into: r });
    seen += r.count;
    if (r.done) return seen;
    cursor = r.cursor;
  }
}

function walkEntries(m: BenchMap): number {
  let seen = 0;
  for (const _ of m.entries()) seen++;
  return seen;
}

function bulk(entries: number, chunk: number): BulkFigures {
  using m = HashMap.create({ key: u32, value: u64, maxEntries: entries });
  const keys = Array.from({ length: entries }, (_, i) => i);
  m.setBatch(
    keys,
    keys.map((k) => BigInt(k)),
  );
  // Each walk is timed after an untimed one: steady state, on heap pages that have been
  // touched before (a first touch costs ~2 us a page on the development machine's VM). The C
  // walk is timed on its first pass: it allocates its 12 pages of buffers once, where the
  // decoded JS walks allocate their results anew for every chunk.
  const timedWalk = (what: string, walk: () => number) => {
    walk();
    const t = process.hrtime.bigint();
    const seen = walk();
    if (seen !== entries) throw new Error(`${what} saw ${seen} of ${entries}`);
    return (ms(t) * 1e6) / entries;
  };
  const batch = timedWalk('batch', () => walkDecoded(m, chunk));
  const raw = timedWalk('raw batch', () => walkRaw(m, chunk));
  const iterate = timedWalk('iteration', () => walkEntries(m));
  const pin = `/sys/fs/bpf/ts-ebpf-maps-bench-bulk-${process.pid}`;
  m.pin(pin);
  try {
    const cFig = c('batch', String(entries), String(chunk), pin);
    return { batch, raw, iterate, cBatch: cFig.batch, cWalk: cFig.walk };
  } finally {
    m.unpin();
  }
}

const best = <T extends object>(runs: T[]): T =>
  Object.fromEntries(
    Object.keys(runs[0]!).map((k) => [k, Math.min(...runs.map((r) => (r as Record<string, number>)[k]!))]),
  ) as T;

console.log(`@ts-ebpf/maps benchmarks (best of ${ROUNDS} interleaved rounds)`);
if (wanted('single')) {
  // C and JS take turns, so that a slow spell of the machine hits both.
  const cRuns: { update: number; lookup: number }[] = [];
  const jsRuns: ReturnType<typeof singleOps>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    cRuns.push(JSON.parse(execFileSync(opsBin, [String(N)], { encoding: 'utf8' })));
    jsRuns.push(singleOps());
  }
  const cOps = best(cRuns);
  const jsOps = best(jsRuns);
  console.log(`single operations, hash u32 -> u64, ${N} ops each`);
  line('BpfMap.get', jsOps.lookup, cOps.lookup);
  line('BpfMap.set', jsOps.update, cOps.update);
  line('raw syscall lookup (reference)', jsOps.rawLookup, cOps.lookup);
  line('raw syscall update (reference)', jsOps.rawUpdate, cOps.update);
}

if (wanted('bulk')) {
  const ENTRIES = 1_000_000;
  // C walks the very map JS walks (pinned), right after it, in each round.
  const jsBulk = best(Array.from({ length: ROUNDS }, () => bulk(ENTRIES, 1024)));
  const cBulk = { batch: jsBulk.cBatch, walk: jsBulk.cWalk };
  console.log(`1M-entry hash map, ${ENTRIES} entries, chunks of 1024 (C walks the same map)`);
  line('getBatch walk (decoded)', jsBulk.batch, cBulk.batch, 'ns/entry');
  line('getBatchBytes walk (raw bytes)', jsBulk.raw, cBulk.batch, 'ns/entry');
  line('entries() iteration', jsBulk.iterate, cBulk.batch, 'ns/entry');
  line('entries() vs C get_next_key walk', jsBulk.iterate, cBulk.walk, 'ns/entry');
  console.log(
    `  batch throughput: decoded ${(1e3 / jsBulk.batch).toFixed(2)} M entries/s (${(cBulk.batch / jsBulk.batch).toFixed(2)}x C), raw ${(1e3 / jsBulk.raw).toFixed(2)} M entries/s (${(cBulk.batch / jsBulk.raw).toFixed(2)}x C), C ${(1e3 / cBulk.batch).toFixed(2)} M entries/s`,
  );
}

await pollersStopped();
