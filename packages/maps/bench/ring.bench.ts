/**
 * @ts-ebpf/maps ring buffer and perf buffer readers against C consumers in the same run
 * (bench/maps-baseline.c, compiled here with gcc -O2, draining the same map the way libbpf's
 * ring_buffer__poll / perf_buffer__poll do): every reading form at 64 B and 1 KiB records
 * produced by test-run, decoded events, and heap growth per million records. Beside each figure,
 * the JS floor of its shape measured in the same run: a `for await` over a bare async iterator
 * (one promise per step), or one `Uint8Array` view per record kept in an array.
 *
 *   npx nx bench @ts-ebpf/maps   (bench/run.ts runs maps.bench.ts, then this;
 *                                 BENCH_PARTS=ring,perf,wake,heap for some parts, BENCH_ROUNDS=3)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  PerfBuffer,
  PerfEventArray,
  type RecordBatch,
  type RecordView,
  RingBuffer,
  RingBufMap,
  struct,
  u32,
  u64,
  u64AsNumber,
} from '@ts-ebpf/maps';
import { close, pinObject, progTestRun, unpin } from '@ts-ebpf/syscall';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';
import { counters, loadProducer, outputProgram, ringReserveProgram } from '../test/programs.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const parts = process.env.BENCH_PARTS?.split(',');
const wanted = (part: string) => !parts || parts.includes(part);
const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-ring-bench-'));
const bin = join(dir, 'maps-baseline');
execFileSync('gcc', ['-O2', '-o', bin, new URL('./maps-baseline.c', import.meta.url).pathname]);
const c = (...args: string[]) => JSON.parse(execFileSync(bin, args, { encoding: 'utf8' }));
const gc = (globalThis as { gc?: () => void }).gc;
const ns = (t0: bigint, n: number) => Number(process.hrtime.bigint() - t0) / n;
// CPU time of the process (all its threads: GC helpers, compilers) per record.
const cpuNs = (c0: NodeJS.CpuUsage, n: number) => {
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
};
const line = (what: string, js: number, cv: number, cpu: string, floor?: number) =>
  console.log(
    `  ${what.padEnd(44)} ${js.toFixed(1).padStart(8)} ns/rec   C ${cv.toFixed(1).padStart(6)}   ratio ${(js / cv).toFixed(2).padStart(6)}   ${cpu}${floor === undefined ? '' : `   (JS floor ${(floor / cv).toFixed(2)}x C)`}`,
  );

/** The median over rounds of a figure's CPU-time ratio to C's (and of its floor's), as text. */
function cpuRatios(rounds: RingFigures[], key: string, floorKey?: string): string {
  const of = (k: string) => median(rounds.map((r) => r[`${k}Cpu`]! / r.cCpu!));
  return `CPU-time ratio ${of(key).toFixed(2)}${floorKey ? ` (floor ${of(floorKey).toFixed(2)})` : ''}`;
}

// The decoded event: the first 16 bytes of each record (ringReserveProgram writes its seq as a
// u64 at 0; outputProgram writes it in every u64), as a struct codec decodes them: a bigint and
// two numbers, as an event with a timestamp, a pid and a tid would be.
const event = struct({ seq: u64, lo: u32, hi: u32 });
// The same event with its u64 decoded as a number (u64AsNumber: no bigint per record).
const eventNumber = struct({ seq: u64AsNumber, lo: u32, hi: u32 });
// The same event for the row whose callback keeps each event (its own codec object, so that
// its drain has its own copy and callback; see src/feedback-copy.ts).
const eventKept = struct({ seq: u64, lo: u32, hi: u32 });
// The perf buffer part's events: codec objects of its own, as the ring buffer guide advises. A
// struct's bigint read is shared by all its uses, and V8 inlines the copy of an unaligned u64 (a
// perf sample's) by how often that read made it: after the ring buffer part had decoded `event`
// (its u64s 8-aligned, read in place), the perf rows with it took about 5 ns a sample more.
const perfEvent = struct({ seq: u64, lo: u32, hi: u32 });
const perfEventNumber = struct({ seq: u64AsNumber, lo: u32, hi: u32 });
type Event = typeof event | typeof eventNumber;

// Every reader reads one word of each record, as the C consumer does; the sum stays a small
// integer so that keeping it costs no allocation.
const keep = (sink: number, word: number) => (sink + word) & 0x3fffffff;
let sink = 0;

// Drains are defined once, as an application's handlers would be (a callback created anew for
// every drain makes the reader's call site polymorphic).
const readFirstWord = (rec: RecordView) => {
  sink = keep(sink, rec.getUint32(0));
};
const takeEvent = (ev: { lo: number }) => {
  sink = keep(sink, ev.lo);
};
// Keeps each event past its callback, as an application that queues events does: V8 must then
// allocate every decoded object (and its bigint), which a callback that only reads a field,
// inlined into the drain, spares it.
let lastEvent: unknown;
const keepEvent = (ev: { lo: number }) => {
  lastEvent = ev;
  sink = keep(sink, ev.lo);
};
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

/** read(STREAM) until the ring is empty, each call's records dropped once read. */
function drainCopyStream(reader: RingBuffer): number {
  let n = 0;
  for (;;) {
    const got = reader.read(STREAM);
    if (got.length === 0) return n;
    for (const rec of got) {
      sink = keep(sink, rec[0]!);
      n++;
    }
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

async function drainIterator(reader: RingBuffer, records: number): Promise<number> {
  let n = 0;
  for await (const rec of reader) {
    sink = keep(sink, rec[0]!);
    if (++n === records) break;
  }
  return n;
}

async function drainBatchIterator(reader: RingBuffer, records: number): Promise<number> {
  let n = 0;
  for await (const b of reader.batches()) {
    for (let i = 0; i < b.count; i++) sink = keep(sink, b.getUint32(i, 0));
    n += b.count;
    if (n === records) break;
  }
  return n;
}

async function drainEvents(
  reader: RingBuffer | PerfBuffer,
  records: number,
  codec: Event = event,
): Promise<number> {
  let n = 0;
  for await (const ev of reader.events<{ lo: number }>(codec)) {
    sink = keep(sink, ev.lo);
    if (++n === records) break;
  }
  return n;
}

// One subscription per reader, made at its first drain and kept, as an application keeps its
// handler.
// A subscription for another codec replaces the reader's (two would share the records).
const subscriptions = new WeakMap<RingBuffer | PerfBuffer, { codec: Event; sub: { close(): void } }>();

/**
 * Resolves with the count once `records` more decoded records arrived at the subscription. Its
 * callback is takeEvent's (it reads a field); the count is the reader's own (`stats.records`,
 * added by each of the subscription's drains), read between turns of the event loop. A count kept
 * by the callback (a closure variable incremented and compared for every record) cost about
 * 1.5 ns a 64-byte record, a third of the callback form's gap to the C consumer, whose loop
 * counts in a register.
 */
async function drainSubscription(
  reader: RingBuffer | PerfBuffer,
  records: number,
  codec: Event = event,
): Promise<number> {
  const start = reader.stats.records;
  const held = subscriptions.get(reader);
  if (held?.codec !== codec) {
    held?.sub.close();
    subscriptions.set(reader, { codec, sub: reader.onEvent<{ lo: number }>(codec, takeEvent) });
  }
  while (reader.stats.records - start < records) await nextTurn();
  return reader.stats.records - start;
}

// JS floors of the reading shapes, on a buffer like a copied batch (no ring, no FFI).
const floorBuffer = new ArrayBuffer(72 * 4096);
const floorViews = Array.from({ length: 4096 }, (_, i) => new Uint8Array(floorBuffer, i * 72, 64));
const DONE = { value: undefined, done: true } as const;

/** A `for await` step over an object of closures whose next() returns Promise.resolve(result). */
async function awaitClosures(records: number): Promise<number> {
  let i = 0;
  const iterable = {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.resolve(i < records ? { value: floorViews[i++ & 4095]!, done: false } : DONE),
    }),
  } as AsyncIterable<Uint8Array>;
  let n = 0;
  for await (const v of iterable) {
    sink = keep(sink, v[0]!);
    n++;
  }
  return n;
}

/** The same with a class whose next() returns Promise.resolve(result) (the readers' shape). */
class PromiseSteps implements AsyncIterableIterator<Uint8Array> {
  #i = 0;
  constructor(readonly records: number) {}
  next(): Promise<IteratorResult<Uint8Array>> {
    return Promise.resolve(
      this.#i < this.records ? { value: floorViews[this.#i++ & 4095]!, done: false } : DONE,
    );
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

/** A class whose next() returns the result object itself (for await then awaits it). */
class PlainSteps implements AsyncIterableIterator<Uint8Array> {
  #i = 0;
  constructor(readonly records: number) {}
  next(): Promise<IteratorResult<Uint8Array>> {
    return (this.#i < this.records ? { value: floorViews[this.#i++ & 4095]!, done: false } : DONE) as never;
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

async function awaitOver(iterable: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const v of iterable) {
    sink = keep(sink, v[0]!);
    n++;
  }
  return n;
}

async function* generated(records: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < records; i++) yield floorViews[i & 4095]!;
}

/**
 * The shapes of a bare `for await` over ready values (one promise per step, nothing else) that the
 * floor is the cheapest of, in each round: a floor that is not the cheapest shape would flatter us.
 */
const awaitShapes: Record<string, (records: number) => Promise<number>> = {
  'closures, Promise.resolve': awaitClosures,
  'class, Promise.resolve': (records) => awaitOver(new PromiseSteps(records)),
  'class, plain result': (records) => awaitOver(new PlainSteps(records)),
  'async generator': (records) => awaitOver(generated(records)),
};

/** One view per record, kept in an array until all are read (what read() hands out). */
function viewFloor(records: number): number {
  const out: Uint8Array[] = [];
  for (let i = 0; i < records; i++) out.push(new Uint8Array(floorBuffer, (i & 4095) * 72, 64));
  let n = 0;
  for (const v of out) {
    sink = keep(sink, v[0]!);
    n++;
  }
  return n;
}

// Records per read() call of the streaming rows (an application's read per wake-up).
const STREAM = 1024;

/** One view per record in arrays of STREAM, each array dropped once read (as read(STREAM) streams). */
function viewStreamFloor(records: number): number {
  let n = 0;
  for (let i = 0; i < records; ) {
    const out: Uint8Array[] = [];
    for (let j = 0; j < STREAM && i < records; j++, i++)
      out.push(new Uint8Array(floorBuffer, (i & 4095) * 72, 64));
    for (const v of out) {
      sink = keep(sink, v[0]!);
      n++;
    }
  }
  return n;
}

type Drain = () => number | Promise<number>;

/**
 * Steady state: the drain first runs on 30 small fills (V8 optimizes a function only after a
 * few calls), then the best of three fills and drains, each from a collected heap. Elapsed
 * time per record; the best CPU time per record goes to `cpu`.
 */
async function timed(
  fill: (n: number) => void,
  records: number,
  drain: Drain,
  cpu: (ns: number) => void,
): Promise<number> {
  for (let i = 0; i < 30; i++) {
    fill(1000);
    await drainSome(drain, 1000);
  }
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    gc?.();
    fill(records);
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    const n = await drain();
    const wall = ns(t, n);
    bestCpu = Math.min(bestCpu, cpuNs(c0, n));
    if (n !== records) throw new Error(`drained ${n} of ${records} records`);
    best = Math.min(best, wall);
  }
  cpu(bestCpu);
  return best;
}

// The warm-up drains: the same function, told to stop at `n` (for the forms that wait).
let limit = 0;
async function drainSome(drain: Drain, n: number): Promise<number> {
  limit = n;
  return drain();
}

async function floorTimed(
  run: (n: number) => number | Promise<number>,
  records: number,
  cpu: (ns: number) => void,
): Promise<number> {
  for (let i = 0; i < 30; i++) await run(1000);
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    gc?.();
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    const n = await run(records);
    best = Math.min(best, ns(t, n));
    bestCpu = Math.min(bestCpu, cpuNs(c0, n));
  }
  cpu(bestCpu);
  return best;
}

type RingFigures = Record<string, number>;

// Which await shape was the cheapest, by round (see awaitShapes).
const cheapestAwait: string[] = [];

/** Times every await shape; the cheapest is the round's `awaitFloor` (elapsed and CPU time). */
async function awaitFloors(f: RingFigures, records: number): Promise<void> {
  let best = '';
  for (const [shape, run] of Object.entries(awaitShapes)) {
    let cpu = 0;
    const wall = await floorTimed(run, records, (v) => {
      cpu = v;
    });
    if (f.awaitFloor === undefined || wall < f.awaitFloor) {
      f.awaitFloor = wall;
      f.awaitFloorCpu = cpu;
      best = shape;
    }
  }
  cheapestAwait.push(best);
}

/** Times drains into `f`: `f[name]` elapsed and `f[name + 'Cpu']` CPU time, ns per record. */
function runner(f: RingFigures, fill: (n: number) => void, records: number) {
  return async (name: string, drain: Drain): Promise<void> => {
    const cpu = (v: number) => {
      f[`${name}Cpu`] = v;
    };
    f[name] = await timed(
      fill,
      records,
      async () => {
        const n = await drain();
        limit = 0;
        return n;
      },
      cpu,
    );
  };
}

async function ringRound(size: number, records: number): Promise<RingFigures> {
  const bytes = 2 ** Math.ceil(Math.log2(records * ((size + 8 + 7) & ~7)));
  using ring = RingBufMap.create({ maxEntries: bytes });
  using cnt = counters();
  const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, size));
  const pin = `/sys/fs/bpf/ts-ebpf-ring-bench-${process.pid}`;
  const fill = (n: number) => progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: n });
  try {
    ring.pin(pin);
    const t = process.hrtime.bigint();
    fill(records);
    const produce = ns(t, records);
    const cRun = c('ring', pin, String(records)) as { ring: number; cpu: number };
    fill(records);
    const cCopy = c('ringcopy', pin, String(records)).ring as number;
    using reader = RingBuffer.open(ring);
    const f: RingFigures = { produce, c: cRun.ring, cCpu: cRun.cpu, cCopy };
    const upTo = () => (limit > 0 ? limit : records);
    const run = runner(f, fill, records);
    await run('cursor', () => drainCursor(reader));
    await run('consume', () => reader.consume(readFirstWord));
    await run('lease', () => drainLeases(reader));
    await run('batch', () => drainBatches(reader));
    await run('read', () => drainCopies(reader));
    await run('readStream', () => drainCopyStream(reader));
    await run('iterator', () => drainIterator(reader, upTo()));
    await run('batches', () => drainBatchIterator(reader, upTo()));
    await run('consumeEvents', () => reader.consumeEvents(event, takeEvent));
    await run('events', () => drainEvents(reader, upTo()));
    await run('onEvent', () => drainSubscription(reader, upTo()));
    await run('consumeEventsNumber', () => reader.consumeEvents(eventNumber, takeEvent));
    await run('eventsNumber', () => drainEvents(reader, upTo(), eventNumber));
    await run('onEventNumber', () => drainSubscription(reader, upTo(), eventNumber));
    await run('consumeEventsKept', () => reader.consumeEvents(eventKept, keepEvent));
    await awaitFloors(f, records);
    f.viewFloor = await floorTimed(viewFloor, records, (v) => {
      f.viewFloorCpu = v;
    });
    f.viewStreamFloor = await floorTimed(viewStreamFloor, records, (v) => {
      f.viewStreamFloorCpu = v;
    });
    const drops = cnt.get(0)!.drops;
    if (drops !== 0n || sink < 0 || lastEvent === undefined)
      throw new Error(`producer dropped ${drops} records`);
    return f;
  } finally {
    ring.unpin();
    close(prog);
  }
}

async function perfRound(records: number): Promise<RingFigures> {
  const size = 64;
  // a 64-byte sample takes 80 bytes of ring (header, size word, raw data padded to 68)
  const pages = 2 ** Math.ceil(Math.log2((records * 80) / 4096 + 1));
  using map = PerfEventArray.create();
  using cnt = counters();
  const prog = loadProducer(outputProgram('perf', map.fd, cnt.fd, size), 'perf');
  const mapPin = `/sys/fs/bpf/ts-ebpf-perf-bench-map-${process.pid}`;
  const progPin = `/sys/fs/bpf/ts-ebpf-perf-bench-prog-${process.pid}`;
  const fill = (n: number) => progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: n });
  try {
    map.pin(mapPin);
    pinObject(prog, progPin);
    const cRun = c('perf', mapPin, progPin, String(records), String(pages)) as { perf: number; cpu: number };
    const f: RingFigures = { c: cRun.perf, cCpu: cRun.cpu };
    using reader = PerfBuffer.open(map, { pages });
    const upTo = () => (limit > 0 ? limit : records);
    const run = runner(f, fill, records);
    await run('consumeEvents', () => reader.consumeEvents(perfEvent, takeEvent));
    await run('events', () => drainEvents(reader, upTo(), perfEvent));
    await run('onEvent', () => drainSubscription(reader, upTo(), perfEvent));
    await run('consumeEventsNumber', () => reader.consumeEvents(perfEventNumber, takeEvent));
    await run('eventsNumber', () => drainEvents(reader, upTo(), perfEventNumber));
    await run('onEventNumber', () => drainSubscription(reader, upTo(), perfEventNumber));
    await awaitFloors(f, records);
    if (reader.stats.discarded !== 0) throw new Error(`the kernel lost ${reader.stats.discarded} samples`);
    return f;
  } finally {
    map.unpin();
    unpin(progPin);
    close(prog);
  }
}

/** The round whose `key`/C ratio is the median of the rounds (figures of one round stay together). */
function medianRound(rounds: RingFigures[], key: string, base = 'c'): RingFigures {
  const ratio = (r: RingFigures) => r[key]! / r[base]!;
  const m = median(rounds.map(ratio));
  return rounds.find((r) => ratio(r) === m)!;
}

const figures: BenchFigure[] = [];
const KEPT_NOTE =
  '; the callback keeps each event, so every decoded object and its bigint is allocated (the callback of the other decoded rows reads one field, as the C consumer reads one word, and V8 inlines it into the drain and allocates nothing)';
const jsFloor = (what: string, floor: number, cFig: number) => ({ what, ratio: floor / cFig });
const AWAIT_FLOOR =
  'no FFI per record; JS floor: for await over a bare async iterator of ready values (one promise per step), the cheapest of four shapes (closures or a class returning Promise.resolve, a class returning the result object, an async generator)';
const VIEW_FLOOR = 'no FFI per record; JS floor: one Uint8Array view per record, kept in an array';
const VIEW_STREAM_FLOOR = `no FFI per record; JS floor: one Uint8Array view per record, in arrays of ${STREAM} dropped once read`;
const FLOORS: Record<string, string> = {
  awaitFloor: AWAIT_FLOOR,
  viewFloor: VIEW_FLOOR,
  viewStreamFloor: VIEW_STREAM_FLOOR,
};

if (wanted('ring')) {
  const forms: [string, string, number | undefined, string | undefined][] = [
    ['cursor', 'cursor() (zero copy, record by record)', undefined, undefined],
    ['consume', 'consume(cb) (zero copy)', undefined, undefined],
    ['lease', 'leaseRecords() (zero copy, by index)', undefined, undefined],
    ['batch', 'readBatch() (one copy per batch)', undefined, undefined],
    ['read', 'read() (a Uint8Array per record, all kept)', 3, 'viewFloor'],
    ['readStream', `read(${STREAM}) in a loop (a Uint8Array per record)`, 3, 'viewStreamFloor'],
    ['batches', 'for await batches()', undefined, 'awaitFloor'],
    ['iterator', 'for await (const rec of ring)', 3, 'awaitFloor'],
    ['consumeEvents', 'consumeEvents(codec, cb) (decoded, sync)', 4, undefined],
    ['onEvent', 'onEvent(codec, cb) (decoded, callback)', 4, undefined],
    ['events', 'for await events(codec) (decoded)', 4, 'awaitFloor'],
    ['consumeEventsNumber', 'consumeEvents(codec, cb) (decoded, u64AsNumber)', 4, undefined],
    ['onEventNumber', 'onEvent(codec, cb) (decoded, u64AsNumber)', 4, undefined],
    ['eventsNumber', 'for await events(codec) (decoded, u64AsNumber)', 4, 'awaitFloor'],
    ['consumeEventsKept', 'consumeEvents(codec, cb) (decoded, each event kept by cb)', undefined, undefined],
  ];
  for (const [size, records] of [
    [64, 500_000],
    [1024, 100_000],
  ] as const) {
    const rounds: RingFigures[] = [];
    cheapestAwait.length = 0;
    for (let r = 0; r < ROUNDS; r++) rounds.push(await ringRound(size, records));
    console.log(
      `ring buffer, ${size}-byte records, ${records} per drain (producer: test-run ${median(rounds.map((r) => r.produce!)).toFixed(0)} ns/record); median of ${ROUNDS} rounds' ratios`,
    );
    for (const [key, name, goal, floorKey] of forms) {
      const r = medianRound(rounds, key);
      const floor = floorKey ? r[floorKey] : undefined;
      const cpu = cpuRatios(rounds, key, floorKey);
      line(name, r[key]!, r.c!, cpu, floor);
      figures.push({
        name: `ring buffer ${size} B: ${name}`,
        unit: 'ns/rec',
        value: r[key]!,
        baseline: { name: 'C consumer (libbpf ring_buffer__poll loop, reads one word)', value: r.c! },
        goal: size === 64 && goal !== undefined ? { maxRatio: goal } : undefined,
        floor: floorKey ? jsFloor(FLOORS[floorKey]!, floor!, r.c!) : undefined,
        note: `${records} records per drain, best of 3 drains per round, median ratio of ${ROUNDS} rounds; ${cpu}${key.toLowerCase().includes('event') ? `; decoded with struct({ seq: ${key.endsWith('Number') ? 'u64AsNumber' : 'u64'}, lo: u32, hi: u32 })` : ''}${key === 'consumeEventsKept' ? KEPT_NOTE : ''}`,
      });
    }
    const r = medianRound(rounds, 'read', 'cCopy');
    console.log(
      `  C consumer copying each record out: ${r.cCopy!.toFixed(1)} ns/rec; read() ${(r.read! / r.cCopy!).toFixed(2)}x it; JS floors: await ${r.awaitFloor!.toFixed(1)} ns/step (cheapest shape by round: ${cheapestAwait.join('; ')}), a kept view ${r.viewFloor!.toFixed(1)} ns/rec, a view dropped by ${STREAM} ${r.viewStreamFloor!.toFixed(1)} ns/rec`,
    );
  }
}

if (wanted('perf')) {
  const records = 100_000;
  const rounds: RingFigures[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await perfRound(records));
  console.log(`perf buffer, 64-byte samples, ${records} per drain; median of ${ROUNDS} rounds' ratios`);
  for (const [key, name, floored] of [
    ['consumeEvents', 'consumeEvents(codec, cb) (decoded, sync)', false],
    ['onEvent', 'onEvent(codec, cb) (decoded, callback)', false],
    ['events', 'for await events(codec) (decoded)', true],
    ['consumeEventsNumber', 'consumeEvents(codec, cb) (decoded, u64AsNumber)', false],
    ['onEventNumber', 'onEvent(codec, cb) (decoded, u64AsNumber)', false],
    ['eventsNumber', 'for await events(codec) (decoded, u64AsNumber)', true],
  ] as const) {
    const r = medianRound(rounds, key);
    const cpu = cpuRatios(rounds, key, floored ? 'awaitFloor' : undefined);
    line(name, r[key]!, r.c!, cpu, floored ? r.awaitFloor : undefined);
    figures.push({
      name: `perf buffer 64 B: ${name}`,
      unit: 'ns/rec',
      value: r[key]!,
      baseline: { name: 'C consumer (libbpf perf_buffer__poll loop, reads one word)', value: r.c! },
      goal: { maxRatio: 4 },
      floor: floored ? jsFloor(AWAIT_FLOOR, r.awaitFloor!, r.c!) : undefined,
      note: `${records} samples per drain, best of 3 drains per round, median ratio of ${ROUNDS} rounds; ${cpu}; decoded with struct({ seq: ${key.endsWith('Number') ? 'u64AsNumber' : 'u64'}, lo: u32, hi: u32 })${floored ? '; bounded below by one promise per step, as the ring buffer for await' : ''}`,
    });
  }
}

// The wake-up part: how soon a record another process commits reaches a subscription's callback,
// against a C consumer woken in epoll_wait as libbpf's ring_buffer__poll is. The producer is a
// C process (maps-baseline.c `produce`) that test-runs the producer program every WAKE_GAP_US and
// prints when it started each run; both consumers print (or keep) when each record reached them,
// on the same clock (CLOCK_MONOTONIC: process.hrtime's).
const WAKE_RECORDS = 200;
const WAKE_GAP_US = 2000;
// Its own codec object: the ring part's drains keep their own copies (see feedback-copy.ts).
const wakeEvent = struct({ seq: u64, lo: u32, hi: u32 });

/** Runs the C baseline with `args` without blocking this thread; resolves with what it printed, parsed. */
function cAsync(...args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    // 'close', not 'exit': the exit can come before the last of its output has been read
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${args[0]} exited ${code}`)),
    );
  });
}

/** Each record's delay from its producer's test-run to its consumer, µs. */
const delays = (sent: readonly number[], seen: readonly number[]) =>
  sent.map((t, i) => (seen[i]! - t) / 1000);

async function wakeRound(
  ring: { readonly fd: number },
  ringPin: string,
  progPin: string,
): Promise<{ ours: number[]; c: number[] }> {
  // A reader of its own each round: it starts from the consumer position the C consumer left.
  using reader = RingBuffer.open(ring);
  const seen: number[] = [];
  const sub = reader.onEvent(wakeEvent, () => {
    seen.push(Number(process.hrtime.bigint()));
  });
  let ours: number[];
  try {
    const sent = await cAsync('produce', progPin, String(WAKE_RECORDS), String(WAKE_GAP_US));
    for (let i = 0; i < 1000 && seen.length < WAKE_RECORDS; i++) await nextTurn();
    if (seen.length !== WAKE_RECORDS)
      throw new Error(`onEvent saw ${seen.length} of ${WAKE_RECORDS} records`);
    ours = delays(sent, seen);
  } finally {
    sub.close();
  }
  const consumer = cAsync('wake', ringPin, String(WAKE_RECORDS));
  const sent = await cAsync('produce', progPin, String(WAKE_RECORDS), String(WAKE_GAP_US));
  return { ours, c: delays(sent, await consumer) };
}

if (wanted('wake')) {
  using ring = RingBufMap.create({ maxEntries: 1 << 16 });
  using cnt = counters();
  const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, 64));
  const ringPin = `/sys/fs/bpf/ts-ebpf-wake-ring-${process.pid}`;
  const progPin = `/sys/fs/bpf/ts-ebpf-wake-prog-${process.pid}`;
  try {
    ring.pin(ringPin);
    pinObject(prog, progPin);
    const ours: number[] = [];
    const c: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = await wakeRound(ring, ringPin, progPin);
      ours.push(...round.ours);
      c.push(...round.c);
    }
    const p90 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.9)]!;
    const [m, mc] = [median(ours), median(c)];
    console.log(
      `ring buffer wake-up, a record committed by another process every ${WAKE_GAP_US} µs (${ROUNDS} × ${WAKE_RECORDS}): onEvent callback ${m.toFixed(1)} µs median, ${p90(ours).toFixed(1)} p90; C consumer in epoll_wait ${mc.toFixed(1)} / ${p90(c).toFixed(1)} µs; ratio ${(m / mc).toFixed(2)}`,
    );
    figures.push({
      name: 'ring buffer wake-up: a record another process commits → onEvent callback',
      unit: 'µs',
      value: m,
      baseline: { name: 'C consumer woken in epoll_wait (libbpf ring_buffer__poll)', value: mc },
      note: `median delay from the producer's test-run to the callback, ${ROUNDS} rounds × ${WAKE_RECORDS} records ${WAKE_GAP_US} µs apart, the producer a C process; p90 ${p90(ours).toFixed(1)} µs vs ${p90(c).toFixed(1)} µs`,
    });
  } finally {
    unpin(ringPin);
    unpin(progPin);
    close(prog);
  }
}

if (wanted('heap')) {
  const records = 250_000;
  using ring = RingBufMap.create({ maxEntries: 2 ** Math.ceil(Math.log2(records * 72)) });
  using cnt = counters();
  const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, 64));
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
    const decoded = measure(() => reader.consumeEvents(event, takeEvent));
    console.log(
      `heap growth per million 64-byte records${gc ? '' : ' (run with --expose-gc for exact figures)'}: consume ${zeroCopy.toFixed(0)} KiB, readBatch ${batch.toFixed(0)} KiB, read() ${copy.toFixed(0)} KiB, consumeEvents ${decoded.toFixed(0)} KiB`,
    );
  } finally {
    close(prog);
  }
}

if (figures.length > 0) reportBench('@ts-ebpf/maps', figures);
