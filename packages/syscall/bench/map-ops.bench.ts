/**
 * The koffi call floor and the raw map commands, against C in the same run:
 * - the floor (bench/koffi-floor.ts): a bare koffi `syscall(SYS_getpid)` (the FFI's own cost on
 *   the cheapest system call), BPF_MAP_LOOKUP_ELEM / BPF_MAP_UPDATE_ELEM and BPF_PROG_LOAD + close
 *   of 10 instructions, each prepared once in native memory, versus the same calls from C
 *   (bench/floor.c, bench/map-ops.c);
 * - mapLookupElem / mapUpdateElem through @ts-ebpf/syscall versus C, with the floor beside them.
 *
 * Rounds interleave C and JS (and within a round, the raw commands and the bare koffi call take
 * turns in blocks on one map); figures are medians of the rounds and ratios medians of the
 * per-round ratios (the machine may be shared). Every figure goes to bench-results/syscall.json.
 *
 *   npx nx bench @ts-ebpf/syscall     (BENCH_N=1000000 map ops per round; BENCH_ROUNDS=7)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfMapType, close, mapCreate, mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { type BenchFigure, reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';
import { bareGetpid, bareMapCalls, bareProgLoad, cFloor, inTurns } from './koffi-floor.js';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const N_GETPID = N;
const N_LOAD = Math.max(200, Math.round(N / 500));

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
const opsBin = join(dir, 'map-ops');
execFileSync('gcc', ['-O2', '-o', opsBin, new URL('./map-ops.c', import.meta.url).pathname]);

interface Round {
  cLookup: number;
  cUpdate: number;
  cGetpid: number;
  cLoad: number;
  bareLookup: number;
  bareUpdate: number;
  bareGetpid: number;
  bareLoad: number;
  lookup: number;
  update: number;
}

// mapLookupElem / mapUpdateElem and the bare koffi call take turns (inTurns) in blocks on one map,
// with the same key and value and nothing else per call.
function mapOps(): { update: number; lookup: number; bareUpdate: number; bareLookup: number } {
  const fd = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1024 });
  const key = new Uint8Array(new Uint32Array([7]).buffer);
  const value = new Uint8Array(new BigUint64Array([42n]).buffer);
  const bare = bareMapCalls(fd, 7, 42n);
  const timed = (loop: (n: number) => void) => (n: number) => {
    const t0 = process.hrtime.bigint();
    loop(n);
    return Number(process.hrtime.bigint() - t0);
  };
  try {
    mapUpdateElem(fd, key, value);
    const blocks = 8;
    const [update, lookup, bareUpdate, bareLookup] = inTurns(blocks, Math.max(1, Math.floor(N / blocks)), [
      timed((n) => {
        for (let i = 0; i < n; i++) mapUpdateElem(fd, key, value);
      }),
      timed((n) => {
        for (let i = 0; i < n; i++) mapLookupElem(fd, key, value);
      }),
      (n) => bare.update(n),
      (n) => bare.lookup(n),
    ]);
    return { update: update!, lookup: lookup!, bareUpdate: bareUpdate!, bareLookup: bareLookup! };
  } finally {
    bare.close();
    close(fd);
  }
}

function round(): Round {
  const c = JSON.parse(execFileSync(opsBin, [String(N)], { encoding: 'utf8' })) as {
    update: number;
    lookup: number;
  };
  const cGetpid = cFloor('getpid', N_GETPID);
  const bareGetpidNs = bareGetpid(N_GETPID);
  const cLoad = cFloor('progload', N_LOAD);
  const bareLoad = bareProgLoad(N_LOAD);
  const ops = mapOps();
  return {
    cLookup: c.lookup,
    cUpdate: c.update,
    cGetpid,
    cLoad,
    bareLookup: ops.bareLookup,
    bareUpdate: ops.bareUpdate,
    bareGetpid: bareGetpidNs,
    bareLoad,
    lookup: ops.lookup,
    update: ops.update,
  };
}

// warm up (optimized code), then the measured rounds
mapOps();
bareGetpid(N_GETPID / 10);
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) rounds.push(round());

const med = (pick: (r: Round) => number) => median(rounds.map(pick));
const ratio = (ours: (r: Round) => number, base: (r: Round) => number) =>
  median(rounds.map((r) => ours(r) / base(r)));
const how = `median of ${ROUNDS} interleaved rounds`;

const floors = {
  getpid: ratio(
    (r) => r.bareGetpid,
    (r) => r.cGetpid,
  ),
  lookup: ratio(
    (r) => r.bareLookup,
    (r) => r.cLookup,
  ),
  update: ratio(
    (r) => r.bareUpdate,
    (r) => r.cUpdate,
  ),
  load: ratio(
    (r) => r.bareLoad,
    (r) => r.cLoad,
  ),
};
const floorFigure = (name: string, what: string, ours: (r: Round) => number, base: (r: Round) => number) =>
  ({
    name,
    unit: 'ns/op',
    value: med(ours),
    baseline: { name: `C ${what}`, value: med(base) },
    note: `the bare koffi call, prepared once; ratio ${ratio(ours, base).toFixed(3)} as a median of per-round ratios; ${how}`,
  }) satisfies BenchFigure;

const figures: BenchFigure[] = [
  floorFigure(
    'koffi floor: syscall(SYS_getpid)',
    'syscall(SYS_getpid)',
    (r) => r.bareGetpid,
    (r) => r.cGetpid,
  ),
  floorFigure(
    'koffi floor: bpf(BPF_MAP_LOOKUP_ELEM)',
    'bpf(BPF_MAP_LOOKUP_ELEM)',
    (r) => r.bareLookup,
    (r) => r.cLookup,
  ),
  floorFigure(
    'koffi floor: bpf(BPF_MAP_UPDATE_ELEM)',
    'bpf(BPF_MAP_UPDATE_ELEM)',
    (r) => r.bareUpdate,
    (r) => r.cUpdate,
  ),
  floorFigure(
    'koffi floor: bpf(BPF_PROG_LOAD) + close, 10 insns',
    'bpf(BPF_PROG_LOAD) + close',
    (r) => r.bareLoad,
    (r) => r.cLoad,
  ),
  {
    name: 'mapLookupElem, hash u32 -> u64',
    unit: 'ns/op',
    value: med((r) => r.lookup),
    baseline: { name: 'C bpf(BPF_MAP_LOOKUP_ELEM)', value: med((r) => r.cLookup) },
    floor: { what: 'bpf(BPF_MAP_LOOKUP_ELEM) through koffi', ratio: floors.lookup },
    note: `${(med((r) => r.lookup) / med((r) => r.bareLookup)).toFixed(3)}× the bare koffi call; ${how}`,
  },
  {
    name: 'mapUpdateElem, hash u32 -> u64',
    unit: 'ns/op',
    value: med((r) => r.update),
    baseline: { name: 'C bpf(BPF_MAP_UPDATE_ELEM)', value: med((r) => r.cUpdate) },
    floor: { what: 'bpf(BPF_MAP_UPDATE_ELEM) through koffi', ratio: floors.update },
    note: `${(med((r) => r.update) / med((r) => r.bareUpdate)).toFixed(3)}× the bare koffi call; ${how}`,
  },
];
reportBench('@ts-ebpf/syscall', figures);

console.log(`@ts-ebpf/syscall, ${how}; ${N} map ops, ${N_GETPID} getpid, ${N_LOAD} loads per round`);
console.log('koffi call floor (bare koffi call vs the same call from C):');
const line = (what: string, ours: number, c: number, r: number) =>
  console.log(
    `  ${what.padEnd(38)} koffi ${ours.toFixed(0).padStart(7)} ns   C ${c.toFixed(0).padStart(7)} ns   ratio ${r.toFixed(3)}`,
  );
line(
  'syscall(SYS_getpid)',
  med((r) => r.bareGetpid),
  med((r) => r.cGetpid),
  floors.getpid,
);
line(
  'bpf(BPF_MAP_LOOKUP_ELEM)',
  med((r) => r.bareLookup),
  med((r) => r.cLookup),
  floors.lookup,
);
line(
  'bpf(BPF_MAP_UPDATE_ELEM)',
  med((r) => r.bareUpdate),
  med((r) => r.cUpdate),
  floors.update,
);
line(
  'bpf(BPF_PROG_LOAD) + close, 10 insns',
  med((r) => r.bareLoad),
  med((r) => r.cLoad),
  floors.load,
);
console.log('raw map commands (@ts-ebpf/syscall) vs C, and vs the bare koffi call:');
for (const op of ['lookup', 'update'] as const) {
  const bare = op === 'lookup' ? (r: Round) => r.bareLookup : (r: Round) => r.bareUpdate;
  const c = op === 'lookup' ? (r: Round) => r.cLookup : (r: Round) => r.cUpdate;
  console.log(
    `  ${op.padEnd(6)}  js ${med((r) => r[op])
      .toFixed(0)
      .padStart(
        6,
      )} ns/op   C ${med(c).toFixed(0).padStart(6)} ns/op   ratio ${ratio((r) => r[op], c).toFixed(3)}   (${ratio((r) => r[op], bare).toFixed(3)}× the bare koffi call, whose floor is ${(op === 'lookup' ? floors.lookup : floors.update).toFixed(3)}× C)`,
  );
}
