/**
 * Where the time of `Program.load` + close goes beyond the bare koffi call, measured in one
 * process: blocks of `PER_BLOCK` loads + closes of the same 10 instructions, each block running
 * every variant once, in a turn rotated from block to block (and reversed every other cycle); per
 * block each variant's time over the bare call's, then the median over `BLOCKS` blocks. Each
 * variant adds one layer of our path to the one before, so the step from one row to the next is
 * what that layer costs:
 *
 * - `bare`: `syscall(SYS_bpf, BPF_PROG_LOAD, attr, 148)` + `syscall(SYS_close)` through koffi, the
 *   attr prepared once (as ../../syscall/bench/koffi-floor.ts does);
 * - `bare+registry`: the same plus a FinalizationRegistry register + unregister per load (what
 *   OwnedFd did per descriptor before it registered only the descriptors left open);
 * - `bare on our attr`: the bare call on an `Attr` filled as `progLoad` fills it (its native memory
 *   and arena instead of one block: a kernel-side difference would show here);
 * - `reset+fill+bare`: that attr reset and filled per load;
 * - `progLoad+close`: `@ts-ebpf/syscall`'s `progLoad` (checks, fill, call) and a bare close;
 * - `progLoad+OwnedFd`: with the fd in an `OwnedFd`, closed by it;
 * - `prepareLoad+OwnedFd`: the load options turned into the attr per load, as `Program.load` does;
 * - `loadWithLog+OwnedFd`: through the verifier-log handling of `Program.load`;
 * - `Program.load`: the whole public call + `close()`.
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: what a shared machine's waits for a
 * core do not inflate), or wall time with `CLOCK=wall`. `ONLY` picks variants (comma-separated;
 * `bare` always runs). Run as root, from packages/programs:
 * `BLOCKS=300 PER_BLOCK=20 tsx --conditions=@ts-ebpf/source bench/load-parts.ts`.
 *
 * A diagnostic, not run by `npm run bench`: it times the layers of `Program.load` by calling
 * internals no package exports (`Attr`, `PROG_LOAD`, `prepareLoad`, `loadWithLog`), so it runs on
 * the sources (tsx-transformed, with the `@ts-ebpf/source` condition, which every import here and
 * in koffi-floor.ts then follows), not on the built packages the benchmark page times. Its
 * figures are ratios between the layers of one such run, not figures of `dist/`.
 */
import { BpfProgType, OwnedFd, progLoad } from '@ts-ebpf/syscall';
import { median } from '@ts-ebpf/test-utils/stats';
import {
  bareClose,
  bareProgLoadAt,
  bareProgLoadAttr,
  forEachTurn,
  tenInstructions,
  threadCpuNs,
} from '../../syscall/bench/koffi-floor.js';
import { Attr } from '../../syscall/src/attr.js';
import { PROG_LOAD } from '../../syscall/src/layouts.js';
import { Program, type ProgramLoadOptions } from '../src/index.js';
import { prepareLoad } from '../src/load-options.js';
import { loadWithLog } from '../src/log.js';

const BLOCKS = Number(process.env.BLOCKS ?? 300);
const PER_BLOCK = Number(process.env.PER_BLOCK ?? 20);
const ONLY = process.env.ONLY?.split(',');
const SIZE = PROG_LOAD.SIZE;

const insns = tenInstructions();

// The bare call's attr, instructions and license in one block of native memory.
const bareAttr = bareProgLoadAttr();
const base = bareAttr.address;

const registry = new FinalizationRegistry<number>(() => {});

const ourAttr = new Attr(SIZE);
/** Fills `ourAttr` as progLoad fills its attr for the 10 instructions. */
function fillOurAttr(): void {
  ourAttr
    .reset()
    .u32(PROG_LOAD.prog_type, BpfProgType.XDP)
    .u32(PROG_LOAD.insn_cnt, insns.byteLength / 8)
    .input(PROG_LOAD.insns, insns)
    .inputString(PROG_LOAD.license, 'GPL');
}
fillOurAttr();
fillOurAttr(); // the first fill asked for the arena, the second reset made it: the copies are in it

const options: ProgramLoadOptions = { type: BpfProgType.XDP, instructions: insns };
const syscallAttr = { progType: BpfProgType.XDP, insns };

const allVariants: [string, () => void][] = [
  ['bare', () => bareProgLoadAt(base)],
  [
    'bare+registry',
    () => {
      const held = {};
      registry.register(held, 0, held);
      registry.unregister(held);
      bareProgLoadAt(base);
    },
  ],
  ['bare on our attr', () => bareProgLoadAt(ourAttr.address)],
  [
    'reset+fill+bare',
    () => {
      fillOurAttr();
      bareProgLoadAt(ourAttr.address);
    },
  ],
  ['progLoad+close', () => bareClose(progLoad(syscallAttr))],
  ['progLoad+OwnedFd', () => new OwnedFd(progLoad(syscallAttr)).close()],
  ['prepareLoad+OwnedFd', () => new OwnedFd(progLoad(prepareLoad(options).attr)).close()],
  [
    'loadWithLog+OwnedFd',
    () => {
      const { attr, code } = prepareLoad(options);
      new OwnedFd(loadWithLog(attr, code, options).fd).close();
    },
  ],
  ['Program.load', () => Program.load(options).close()],
];
const unknown = ONLY?.filter((name) => !allVariants.some(([known]) => known === name)) ?? [];
if (unknown.length > 0)
  throw new Error(
    `ONLY: no variant ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the variants are ${allVariants.map(([n]) => n).join(', ')}`,
  );
const variants = allVariants.filter(([name]) => name === 'bare' || !ONLY || ONLY.includes(name));

const now = process.env.CLOCK === 'wall' ? () => Number(process.hrtime.bigint()) : threadCpuNs;

/** ns per call of `f` over one block. */
function block(f: () => void): number {
  const t0 = now();
  for (let i = 0; i < PER_BLOCK; i++) f();
  return (now() - t0) / PER_BLOCK;
}

for (const [, f] of variants) for (let i = 0; i < 300; i++) f(); // warm up: optimized code
const times: number[][] = variants.map(() => []);
const k = variants.length;
forEachTurn(BLOCKS, k, (at) => times[at]!.push(block(variants[at]![1])));
console.log(
  `BPF_PROG_LOAD + close of 10 insns, ${BLOCKS} blocks of ${PER_BLOCK}, ${process.env.CLOCK === 'wall' ? 'wall' : 'thread CPU'} time; median per block:`,
);
const bare = times[0]!;
for (let v = 0; v < k; v++) {
  const t = times[v]!;
  const ratio = median(t.map((x, i) => x / bare[i]!));
  const over = median(t.map((x, i) => x - bare[i]!));
  console.log(
    `  ${variants[v]![0].padEnd(20)} ${(median(t) / 1e3).toFixed(1).padStart(7)} µs   ${ratio.toFixed(3)}× bare   ${over >= 0 ? '+' : ''}${(over / 1e3).toFixed(2)} µs`,
  );
}
bareAttr.free();
