// Benchmark of @ts-ebpf/btf against this machine's vmlinux BTF.
// Run with `npx nx bench @ts-ebpf/btf`: a vitest run of this file (bench/vitest.bench.config.ts) on
// the built package, after nx builds it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, dumpC } from '@ts-ebpf/btf';
import { reportBench } from '@ts-ebpf/test-utils/bench-report';
import { median } from '@ts-ebpf/test-utils/stats';
import { expect, it } from 'vitest';

const GOALS = { openAndFirstLookupMs: 10, fullDecodeMedianMs: 100, fullDecodeColdMs: 150 };

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const rss = (): number => process.memoryUsage().rss;
function time(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

it('benchmarks vmlinux BTF', () => {
  const bytes = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
  const lines: string[] = [`vmlinux BTF: ${mib(bytes.byteLength)}`];
  const base = rss();
  lines.push(`rss before: ${mib(base)}`);

  let btf: Btf | undefined;
  const first = time(() => {
    btf = Btf.parse(bytes);
    btf.get('task_struct', 'struct');
  });
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) {
    warm.push(
      time(() => {
        Btf.parse(bytes).get('task_struct', 'struct');
      }),
    );
  }
  const open = median(warm);
  lines.push(
    `open + first struct lookup: ${first.toFixed(2)} ms cold, ${open.toFixed(2)} ms median, ${Math.min(...warm).toFixed(2)} ms best of 10 (goal ≤ ${GOALS.openAndFirstLookupMs} ms); ${btf!.typeCount - 1} types; rss ${mib(rss())}`,
  );

  const names: string[] = [];
  const scan = Btf.parse(bytes);
  for (let id = 1; id < scan.typeCount && names.length < 1000; id += 7) {
    if (scan.kindOf(id) === 'struct' && scan.nameOf(id)) names.push(scan.nameOf(id));
  }
  const lookups = time(() => {
    for (const n of names) btf!.get(n, 'struct');
  });
  lines.push(
    `${names.length} struct lookups by name: ${lookups.toFixed(2)} ms (${((lookups * 1000) / names.length).toFixed(2)} µs each); rss ${mib(rss())}`,
  );

  btf = undefined; // let the earlier instances go, so each step starts from the same heap
  let decodeAll = 0;
  let fresh: Btf | undefined;
  const decodes: number[] = [];
  for (let i = 0; i < 9; i++) {
    fresh = undefined;
    decodes.push(
      time(() => {
        decodeAll = 0;
        fresh = Btf.parse(bytes);
        for (const _t of fresh.types()) decodeAll++;
      }),
    );
  }
  lines.push(
    `parse + decode every type (${decodeAll}): ${decodes[0]!.toFixed(1)} ms cold, ${median(decodes.slice(1)).toFixed(1)} ms median, ${Math.min(...decodes).toFixed(1)} ms best of 9 (goals ≤ ${GOALS.fullDecodeColdMs} ms cold, ≤ ${GOALS.fullDecodeMedianMs} ms median); rss ${mib(rss())}`,
  );
  // libbpf in the same run: btf__new, then every type, name and member/param/enum-value name read.
  const bin = join(mkdtempSync(join(tmpdir(), 'ts-ebpf-btf-bench-')), 'btf-baseline');
  execFileSync('gcc', ['-O2', '-o', bin, new URL('./btf-baseline.c', import.meta.url).pathname, '-lbpf']);
  const c = JSON.parse(execFileSync(bin, ['10'], { encoding: 'utf8' })) as { cold: number; median: number };
  lines.push(
    `libbpf btf__new + walk of every type: ${c.cold.toFixed(1)} ms cold, ${c.median.toFixed(1)} ms median`,
  );
  reportBench('@ts-ebpf/btf', [
    {
      name: 'parse + decode every vmlinux type, median',
      unit: 'ms',
      value: median(decodes.slice(1)),
      baseline: { name: 'libbpf btf__new + walk', value: c.median },
      goal: { maxValue: GOALS.fullDecodeMedianMs },
      note: `${decodeAll} types; ours builds a JS object per type, member, parameter and enum value`,
    },
    {
      name: 'parse + decode every vmlinux type, cold (first in the process)',
      unit: 'ms',
      value: decodes[0]!,
      baseline: { name: 'libbpf btf__new + walk, first', value: c.cold },
      goal: { maxValue: GOALS.fullDecodeColdMs },
    },
    {
      name: 'open + first struct lookup, median',
      unit: 'ms',
      value: open,
      goal: { maxValue: GOALS.openAndFirstLookupMs },
    },
  ]);

  let header = '';
  const dump = time(() => {
    header = dumpC(fresh!);
  });
  lines.push(`C dump of all of vmlinux: ${dump.toFixed(0)} ms, ${mib(header.length)}; rss ${mib(rss())}`);

  console.log(`\n${lines.join('\n')}\n`);
  expect(decodeAll).toBe(fresh!.typeCount - 1);
});
