/**
 * @ts-ebpf/maps against C in the same run (bench/maps-baseline.c, compiled here with gcc -O2):
 * single lookup/update through BpfMap (beside the bare koffi call), BPF_F_MMAPABLE arrays through a
 * mapping (bench/array-mmap.bench.ts), batch lookups and iteration of a 1M-entry hash map.
 * Ring and perf buffer readers: bench/ring.bench.ts (bench/run.ts runs both).
 *
 *   npx nx bench @ts-ebpf/maps      (BENCH_N=1000000 single ops by default;
 *                                    BENCH_PARTS=single,mmap,bulk for some parts)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, HashMap, type RawBatchResult, u32, u64 } from '@ts-ebpf/maps';
import { mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { bareMapCalls, inTurns } from '../../syscall/bench/koffi-floor.js';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const ROUNDS = 3;
// BENCH_PARTS=single,mmap,bulk runs only those parts (default: all).
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

const KEY = 7;
const VALUE = 42n;

interface SingleRound {
  update: number;
  lookup: number;
  rawUpdate: number;
  rawLookup: number;
  bareUpdate: number;
  bareLookup: number;
}

// Each timed loop makes `n` calls with the same key and value as the others and does nothing
// else per call (no value made per call, no arithmetic on the result): what differs between
// them is the code between the caller and the bpf() call. ns in total.
type BenchMap = ReturnType<typeof HashMap.create<number, bigint>>;

function timeSet(m: BenchMap, n: number): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) m.set(KEY, VALUE);
  return Number(process.hrtime.bigint() - t);
}

function timeGet(m: BenchMap, n: number): number {
  let last: bigint | undefined;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) last = m.get(KEY);
  const ns = Number(process.hrtime.bigint() - t);
  if (last !== VALUE) throw new Error(`BpfMap.get read ${last}`);
  return ns;
}

function timeRaw(op: 'update' | 'lookup', fd: number, key: Uint8Array, value: Uint8Array, n: number): number {
  const t = process.hrtime.bigint();
  if (op === 'update') for (let i = 0; i < n; i++) mapUpdateElem(fd, key, value);
  else for (let i = 0; i < n; i++) mapLookupElem(fd, key, value);
  return Number(process.hrtime.bigint() - t);
}

/**
 * One round of single operations on one map: BpfMap, the syscall package's raw commands and the
 * bare koffi call take turns (inTurns) in blocks of calls, so that a slow spell of the machine, a
 * state left by the run before, or the map's state weighs on all three alike. ns per call.
 */
function singleOps(n: number): SingleRound {
  using m = HashMap.create({ key: u32, value: u64, maxEntries: 1024 });
  m.set(KEY, VALUE);
  const key = encode(u32, KEY, HOST_BYTE_ORDER);
  const value = encode(u64, VALUE, HOST_BYTE_ORDER);
  const bare = bareMapCalls(m.fd, KEY, VALUE);
  try {
    const blocks = 12; // twice the number of runs: each takes every position equally often
    const [update, lookup, rawUpdate, rawLookup, bareUpdate, bareLookup] = inTurns(
      blocks,
      Math.max(1, Math.floor(n / blocks)),
      [
        (k) => timeSet(m, k),
        (k) => timeGet(m, k),
        (k) => timeRaw('update', m.fd, key, value, k),
        (k) => timeRaw('lookup', m.fd, key, value, k),
        (k) => bare.update(k),
        (k) => bare.lookup(k),
      ],
    );
    return {
      update: update!,
      lookup: lookup!,
      rawUpdate: rawUpdate!,
      rawLookup: rawLookup!,
      bareUpdate: bareUpdate!,
      bareLookup: bareLookup!,
    };
  } finally {
    bare.close();
  }
}

interface BulkFigures {
  batch: number;
  raw: number;
  iterate: number;
  /** The C walks of the same map (pinned), in the same round. */
  cBatch: number;
  cWalk: number;
}

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
  // C and JS take turns, so that a slow spell of the machine hits both; figures are medians of
  // the rounds, ratios medians of the per-round ratios.
  const SINGLE_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
  const cRuns: { update: number; lookup: number }[] = [];
  const jsRuns: SingleRound[] = [];
  singleOps(Math.min(N, 200_000)); // warm up: optimized code
  for (let r = 0; r < SINGLE_ROUNDS; r++) {
    cRuns.push(JSON.parse(execFileSync(opsBin, [String(N)], { encoding: 'utf8' })));
    jsRuns.push(singleOps(N));
  }
  const med = (pick: (i: number) => number) => median(jsRuns.map((_, i) => pick(i)));
  const js = (k: keyof SingleRound) => med((i) => jsRuns[i]![k]);
  const cOf = (k: 'update' | 'lookup') => med((i) => cRuns[i]![k]);
  const perRound = (k: keyof SingleRound, base: (i: number) => number) => med((i) => jsRuns[i]![k] / base(i));
  const floorLookup = perRound('bareLookup', (i) => cRuns[i]!.lookup);
  const floorUpdate = perRound('bareUpdate', (i) => cRuns[i]!.update);
  const how = `median of ${SINGLE_ROUNDS} rounds of ${N} ops, each round C then BpfMap, raw syscall and bare koffi calls taking turns in blocks on one map (same key and value)`;
  console.log(`single operations, hash u32 -> u64, ${how}`);
  line('BpfMap.get', js('lookup'), cOf('lookup'));
  line('BpfMap.set', js('update'), cOf('update'));
  line('raw syscall lookup (reference)', js('rawLookup'), cOf('lookup'));
  line('raw syscall update (reference)', js('rawUpdate'), cOf('update'));
  line('bare koffi lookup (floor)', js('bareLookup'), cOf('lookup'));
  line('bare koffi update (floor)', js('bareUpdate'), cOf('update'));
  const overGet = perRound('lookup', (i) => jsRuns[i]!.bareLookup);
  const overSet = perRound('update', (i) => jsRuns[i]!.bareUpdate);
  console.log(
    `  over the bare koffi call (goal <= 1.05): get ${overGet.toFixed(3)}, set ${overSet.toFixed(3)}; the floor itself: lookup ${floorLookup.toFixed(3)}x C, update ${floorUpdate.toFixed(3)}x C`,
  );
  const lookupFloor = { what: 'bpf(BPF_MAP_LOOKUP_ELEM) through koffi', ratio: floorLookup };
  const updateFloor = { what: 'bpf(BPF_MAP_UPDATE_ELEM) through koffi', ratio: floorUpdate };
  reportBench('@ts-ebpf/maps', [
    {
      name: 'BpfMap.get over the bare koffi call, hash u32 -> u64',
      unit: 'ns/op',
      value: js('lookup'),
      baseline: { name: 'bare koffi bpf(BPF_MAP_LOOKUP_ELEM)', value: js('bareLookup') },
      goal: { maxRatio: 1.05 },
      floor: lookupFloor,
      note: `per-round median ratio ${overGet.toFixed(3)}; decodes the u64 value; ${how}`,
    },
    {
      name: 'BpfMap.set over the bare koffi call, hash u32 -> u64',
      unit: 'ns/op',
      value: js('update'),
      baseline: { name: 'bare koffi bpf(BPF_MAP_UPDATE_ELEM)', value: js('bareUpdate') },
      goal: { maxRatio: 1.05 },
      floor: updateFloor,
      note: `per-round median ratio ${overSet.toFixed(3)}; encodes key and value; ${how}`,
    },
    {
      name: 'BpfMap.get, hash u32 -> u64',
      unit: 'ns/op',
      value: js('lookup'),
      baseline: { name: 'C bpf(BPF_MAP_LOOKUP_ELEM)', value: cOf('lookup') },
      floor: lookupFloor,
      note: `per-round median ratio ${perRound('lookup', (i) => cRuns[i]!.lookup).toFixed(3)}; ${how}`,
    },
    {
      name: 'BpfMap.set, hash u32 -> u64',
      unit: 'ns/op',
      value: js('update'),
      baseline: { name: 'C bpf(BPF_MAP_UPDATE_ELEM)', value: cOf('update') },
      floor: updateFloor,
      note: `per-round median ratio ${perRound('update', (i) => cRuns[i]!.update).toFixed(3)}; ${how}`,
    },
  ]);
}

if (wanted('mmap')) await import('./array-mmap.bench.js');

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
