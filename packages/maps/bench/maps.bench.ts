/**
 * @ts-ebpf/maps against C in the same run (bench/maps-baseline.c, compiled here with gcc -O2):
 * single lookup/update through BpfMap (beside the bare koffi call), BPF_F_MMAPABLE arrays through a
 * mapping (bench/array-mmap.bench.ts), batch lookups and iteration of a 1M-entry hash map,
 * ring buffer draining (64 B and 1 KiB records produced by test-run), heap growth per
 * million records.
 *
 *   npm run bench -w @ts-ebpf/maps      (BENCH_N=1000000 single ops by default;
 *                                        BENCH_PARTS=single,mmap,bulk,ring,heap for some parts)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, mapLookupElem, mapUpdateElem, progTestRun } from '@ts-ebpf/syscall';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';
import { bareMapOps, median } from '../../syscall/bench/koffi-floor.js';
import {
  HashMap,
  pollersStopped,
  type RawBatchResult,
  type RecordBatch,
  type RecordView,
  RingBuffer,
  RingBufMap,
  u32,
  u64,
} from '../src/index.js';
import { counters, loadProducer, ringReserveProgram } from '../test/programs.js';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const ROUNDS = 3;
// BENCH_PARTS=single,mmap,bulk,ring,heap runs only those parts (default: all).
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
const gc = (globalThis as { gc?: () => void }).gc;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const line = (what: string, js: number, cv: number, unit = 'ns/op') =>
  console.log(
    `  ${what.padEnd(34)} js ${js.toFixed(1).padStart(8)} ${unit}   C ${cv.toFixed(1).padStart(8)} ${unit}   ratio ${(js / cv).toFixed(3)}`,
  );

function singleOps(): {
  update: number;
  lookup: number;
  rawUpdate: number;
  rawLookup: number;
  bareUpdate: number;
  bareLookup: number;
} {
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
  // the koffi call floor: the same commands as bare koffi calls on the same map
  const bare = bareMapOps(m.fd, N);
  return { update, lookup, rawUpdate, rawLookup, bareUpdate: bare.update, bareLookup: bare.lookup };
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

interface RingFigures {
  produce: number;
  c: number;
  cCopy: number;
  zeroCopy: number;
  cursor: number;
  lease: number;
  batch: number;
  batchTables: number;
  copy: number;
  iterator: number;
  batches: number;
}

// Every reader reads each record's first word, as the C consumer does; the sum stays a small
// integer so that keeping it costs no allocation. The loops sum in a local and fold it into the
// module's sink once per drain or batch (a module variable costs a check at every use); a
// consume callback has only the module variable.
const keep = (sink: number, word: number) => (sink + word) & 0x3fffffff;
let sink = 0;

// The drains are defined once, as an application's handlers would be (a callback created anew
// for every drain makes the reader's call site polymorphic and costs ~25 ns a record).
const readFirstWord = (rec: RecordView) => {
  sink = keep(sink, rec.getUint32(0));
};

function drainLeases(reader: RingBuffer): number {
  let n = 0;
  for (;;) {
    using held = reader.leaseRecords();
    if (held.count === 0) return n;
    let sum = 0;
    for (let i = 0; i < held.count; i++) sum = keep(sum, held.getUint32(i, 0));
    sink = keep(sink, sum);
    n += held.count;
  }
}

function drainCursor(reader: RingBuffer): number {
  using cursor = reader.cursor();
  let n = 0;
  let sum = 0;
  while (cursor.next()) {
    sum = keep(sum, cursor.getUint32(0));
    n++;
  }
  sink = keep(sink, sum);
  return n;
}

let reuse: RecordBatch | undefined;
function drainBatches(reader: RingBuffer): number {
  let n = 0;
  for (;;) {
    reuse = reader.readBatch({ into: reuse });
    if (reuse.count === 0) return n;
    let sum = 0;
    for (let i = 0; i < reuse.count; i++) sum = keep(sum, reuse.getUint32(i, 0));
    sink = keep(sink, sum);
    n += reuse.count;
  }
}

// The same copy, read through the batch's public offset table and DataView (no per-read
// record bounds check): what a loop that knows its record layout can do.
let reuseTables: RecordBatch | undefined;
function drainBatchTables(reader: RingBuffer): number {
  let n = 0;
  for (;;) {
    const b = reader.readBatch({ into: reuseTables });
    reuseTables = b;
    const count = b.count;
    if (count === 0) return n;
    const data = b.data;
    const offsets = b.offsets;
    let sum = 0;
    for (let i = 0; i < count; i++) sum = keep(sum, data.getUint32(offsets[i]!, true));
    sink = keep(sink, sum);
    n += count;
  }
}

function drainCopies(reader: RingBuffer): number {
  let n = 0;
  for (const rec of reader.read()) {
    sink = keep(sink, rec[0]!);
    n++;
  }
  return n;
}

async function ringBench(size: number, records: number): Promise<RingFigures> {
  const bytes = 2 ** Math.ceil(Math.log2(records * ((size + 8 + 7) & ~7)));
  using ring = RingBufMap.create({ maxEntries: bytes });
  using cnt = counters();
  const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, size));
  const pin = `/sys/fs/bpf/ts-ebpf-maps-bench-${process.pid}`;
  const fill = () => {
    const t = process.hrtime.bigint();
    progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: records });
    return (ms(t) * 1e6) / records;
  };
  // Steady state: the drain first runs on 30 small fills, as an application drains again and
  // again (V8 collects type feedback for a function only once it has been called a few times;
  // a first call of a 500,000-record loop runs mostly unoptimized). Then the best of three fills
  // and drains, each from a collected heap so that none pays for the garbage of the one before.
  const timed = (drain: () => number) => {
    for (let i = 0; i < 30; i++) {
      progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: 1000 });
      drain();
    }
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      gc?.();
      fill();
      const t = process.hrtime.bigint();
      const n = drain();
      if (n !== records) throw new Error(`drained ${n} of ${records} records`);
      best = Math.min(best, (ms(t) * 1e6) / n);
    }
    return best;
  };
  try {
    ring.pin(pin);
    const produce = fill();
    const cFig = c('ring', pin, String(records)).ring as number;
    fill();
    const cCopy = c('ringcopy', pin, String(records)).ring as number;
    using reader = RingBuffer.open(ring);
    const zeroCopy = timed(() => reader.consume(readFirstWord));
    const cursor = timed(() => drainCursor(reader));
    const lease = timed(() => drainLeases(reader));
    const batch = timed(() => drainBatches(reader));
    const batchTables = timed(() => drainBatchTables(reader));
    const copy = timed(() => drainCopies(reader));
    gc?.();
    fill();
    let t = process.hrtime.bigint();
    let n = 0;
    for await (const rec of reader) {
      sink = keep(sink, rec[0]!);
      if (++n === records) break;
    }
    const iterator = (ms(t) * 1e6) / n;
    gc?.();
    fill();
    t = process.hrtime.bigint();
    n = 0;
    for await (const b of reader.batches()) {
      for (let i = 0; i < b.count; i++) sink = keep(sink, b.getUint32(i, 0));
      n += b.count;
      if (n === records) break;
    }
    const batches = (ms(t) * 1e6) / n;
    const drops = cnt.get(0)!.drops;
    if (drops !== 0n || sink < 0) throw new Error(`producer dropped ${drops} records`);
    return { produce, c: cFig, cCopy, zeroCopy, cursor, lease, batch, batchTables, copy, iterator, batches };
  } finally {
    ring.unpin();
    close(prog);
  }
}

async function heapPerMillion(): Promise<{ zeroCopy: number; batch: number; copy: number }> {
  const size = 64;
  const records = 250_000;
  using ring = RingBufMap.create({ maxEntries: 2 ** Math.ceil(Math.log2(records * 72)) });
  using cnt = counters();
  const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, size));
  using reader = RingBuffer.open(ring);
  const measure = (drain: () => void) => {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 4; i++) {
      progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: records });
      drain();
    }
    gc?.();
    return (process.memoryUsage().heapUsed - before) / 1024;
  };
  try {
    const zeroCopy = measure(() => reader.consume(readFirstWord));
    const batch = measure(() => drainBatches(reader));
    const copy = measure(() => drainCopies(reader));
    return { zeroCopy, batch, copy };
  } finally {
    close(prog);
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
  const jsRuns: ReturnType<typeof singleOps>[] = [];
  singleOps(); // warm up: optimized code
  for (let r = 0; r < SINGLE_ROUNDS; r++) {
    cRuns.push(JSON.parse(execFileSync(opsBin, [String(N)], { encoding: 'utf8' })));
    jsRuns.push(singleOps());
  }
  const med = (pick: (i: number) => number) => median(jsRuns.map((_, i) => pick(i)));
  const js = (k: keyof ReturnType<typeof singleOps>) => med((i) => jsRuns[i]![k]);
  const cOf = (k: 'update' | 'lookup') => med((i) => cRuns[i]![k]);
  const perRound = (k: keyof ReturnType<typeof singleOps>, base: (i: number) => number) =>
    med((i) => jsRuns[i]![k] / base(i));
  const floorLookup = perRound('bareLookup', (i) => cRuns[i]!.lookup);
  const floorUpdate = perRound('bareUpdate', (i) => cRuns[i]!.update);
  const how = `median of ${SINGLE_ROUNDS} interleaved rounds of ${N} ops`;
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

if (wanted('ring')) {
  for (const [size, records] of [
    [64, 500_000],
    [1024, 100_000],
  ] as const) {
    const runs: RingFigures[] = [];
    for (let r = 0; r < ROUNDS; r++) runs.push(await ringBench(size, records));
    const f = best(runs);
    console.log(
      `ring buffer, ${size}-byte records, ${records} per drain (producer: test-run ${f.produce.toFixed(0)} ns/record)`,
    );
    const rate = (ns: number) => `${(1e3 / ns).toFixed(2)} M rec/s`;
    line('cursor() (zero-copy lease, one record at a time)', f.cursor, f.c, 'ns/rec');
    line('consume(cb) (zero-copy)', f.zeroCopy, f.c, 'ns/rec');
    line('leaseRecords() (zero-copy lease)', f.lease, f.c, 'ns/rec');
    line('readBatch() (one copy per batch)', f.batch, f.c, 'ns/rec');
    line('readBatch(), read by offset table', f.batchTables, f.c, 'ns/rec');
    line('read() (Uint8Array per record)', f.copy, f.c, 'ns/rec');
    line('for await batches()', f.batches, f.c, 'ns/rec');
    line('for await (record by record)', f.iterator, f.c, 'ns/rec');
    console.log(
      `  C ${rate(f.c)}; lease: cursor ${(f.c / f.cursor).toFixed(2)}x C, leaseRecords ${(f.c / f.lease).toFixed(2)}x C (goal 0.8); copying ${(f.c / f.batch).toFixed(2)}x C, by offset table ${(f.c / f.batchTables).toFixed(2)}x C (goal 0.5)`,
    );
    console.log(
      `  a C consumer that copies each record out: ${f.cCopy.toFixed(1)} ns/rec (${(f.c / f.cCopy).toFixed(2)}x the C consumer); readBatch is ${(f.cCopy / f.batch).toFixed(2)}x C copying`,
    );
  }
}

if (wanted('heap')) {
  const heap = await heapPerMillion();
  console.log(
    `heap growth per million 64-byte records${gc ? '' : ' (run with --expose-gc for exact figures)'}: consume ${heap.zeroCopy.toFixed(0)} KiB, readBatch ${heap.batch.toFixed(0)} KiB, read() ${heap.copy.toFixed(0)} KiB`,
  );
}
await pollersStopped();
