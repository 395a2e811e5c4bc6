/**
 * Records/s of the task iterator: taskDump() built with dsl-iter and read through the typed
 * record reader, against the same program in C (task-records.bpf.c, clang-19 -O2, loaded and
 * pinned in bpffs by `bpftool iter pin`) read by `cat` of the pin. Each walk visits every
 * thread of the machine once; both sides write the same 32-byte record per thread.
 *
 * Run as root: `npx nx bench @ts-ebpf/dsl-iter`. The figures are wall-clock and noisy on
 * a shared machine; the `cat` side includes starting one process per walk, so the pin is also
 * read in this process (readFileSync) to compare the kernel walk and the decoding alone. Both
 * ratios go to the benchmark page (`reportBench`); `WALKS` sets the number of walks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { taskDump } from '@ts-ebpf/dsl-iter';
import { loadIterator } from '@ts-ebpf/dsl-iter/kernel';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';

const WALKS = Number(process.env.WALKS ?? 200);
const source = new URL('./task-records.bpf.c', import.meta.url).pathname;

/** Walks of the dsl-iter program, records decoded by `records()`. */
async function dslRecordsPerSecond(): Promise<{ records: number; seconds: number; recordSize: number }> {
  const { program, layout } = taskDump(kernelBtf());
  using it = loadIterator(program);
  let records = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < WALKS; i++) for await (const _ of it.records(layout)) records++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { records, seconds, recordSize: layout.size };
}

/** Walks of the C program by `cat` of its pinned iterator link. */
function cRecordsPerSecond(recordSize: number): Record<'cat' | 'read', { records: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-iter-bench-'));
  const pin = `/sys/fs/bpf/ts_ebpf_iter_bench_${process.pid}`;
  try {
    const obj = join(dir, 'task-records.o');
    const target = HOST_BYTE_ORDER === 'little' ? 'bpfel' : 'bpfeb';
    const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    execFileSync('clang-19', [
      '-O2',
      '-g',
      '-target',
      target,
      '-I',
      `/usr/include/${triple}`,
      '-c',
      source,
      '-o',
      obj,
    ]);
    execFileSync('bpftool', ['iter', 'pin', obj, pin]);
    const walk = (read: () => Uint8Array) => {
      let bytes = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < WALKS; i++) bytes += read().byteLength;
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (bytes % recordSize !== 0)
        throw new Error(`${pin}: ${bytes} bytes, not a multiple of ${recordSize}`);
      return { records: bytes / recordSize, seconds };
    };
    const cat = walk(() => {
      const r = spawnSync('cat', [pin], { maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`cat ${pin} failed: ${r.stderr.toString()}`);
      return r.stdout;
    });
    return { cat, read: walk(() => readFileSync(pin)) };
  } finally {
    rmSync(pin, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const dsl = await dslRecordsPerSecond();
const c = cRecordsPerSecond(dsl.recordSize);
const rate = (x: { records: number; seconds: number }) => x.records / x.seconds;
const fmt = (x: { records: number; seconds: number }) =>
  `${Math.round(rate(x)).toLocaleString('en')} records/s (${x.records} records in ${x.seconds.toFixed(2)} s)`;
console.log(
  `task iterator, ${WALKS} walks, ${dsl.recordSize}-byte records (wall clock; noisy on a shared machine)`,
);
console.log(`  dsl-iter taskDump, typed reader   ${fmt(dsl)}`);
console.log(`  C (clang-19 -O2), cat of the pin  ${fmt(c.cat)}`);
console.log(
  `  ratio dsl / C (cat): ${(rate(dsl) / rate(c.cat)).toFixed(2)}x (cat starts one process per walk)`,
);
console.log(`  C, the pin read in this process   ${fmt(c.read)}`);
console.log(`  ratio dsl / C (in-process read): ${(rate(dsl) / rate(c.read)).toFixed(2)}x`);
const name = `task iterator, ${dsl.recordSize}-byte records per thread: taskDump through the typed reader`;
const pinned = 'C (clang-19 -O2) iterator pinned by bpftool';
reportBench('@ts-ebpf/dsl-iter', [
  {
    name,
    unit: 'records/s',
    value: rate(dsl),
    sense: 'higher-is-better',
    baseline: { name: `${pinned}, the pin read in this process`, value: rate(c.read) },
    note: `${WALKS} walks of every thread; wall clock`,
  },
  {
    name: `${name}, against cat`,
    unit: 'records/s',
    value: rate(dsl),
    sense: 'higher-is-better',
    baseline: { name: `${pinned}, read by cat`, value: rate(c.cat) },
    note: `${WALKS} walks; cat starts one process per walk`,
  },
]);
