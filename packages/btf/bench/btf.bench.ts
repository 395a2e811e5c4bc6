// Benchmark of @ts-ebpf/btf against this machine's vmlinux BTF.
// Run with `npm run bench -w @ts-ebpf/btf` (a vitest run of this file, so sources need no build).
import { readFileSync } from 'node:fs';
import { Btf, dumpC } from '@ts-ebpf/btf';
import { expect, it } from 'vitest';

const GOALS = { openAndFirstLookupMs: 10, fullDecodeMs: 150 };

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const rss = (): number => process.memoryUsage().rss;
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
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
  for (let i = 0; i < 5; i++) {
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
    `parse + decode every type (${decodeAll}): ${decodes[0]!.toFixed(1)} ms cold, ${median(decodes).toFixed(1)} ms median, ${Math.min(...decodes).toFixed(1)} ms best of 5 (goal ≤ ${GOALS.fullDecodeMs} ms); rss ${mib(rss())}`,
  );

  let header = '';
  const dump = time(() => {
    header = dumpC(fresh!);
  });
  lines.push(`C dump of all of vmlinux: ${dump.toFixed(0)} ms, ${mib(header.length)}; rss ${mib(rss())}`);

  console.log(`\n${lines.join('\n')}\n`);
  expect(decodeAll).toBe(fresh!.typeCount - 1);
});
