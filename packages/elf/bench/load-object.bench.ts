/**
 * loadCollection (+ close) against `bpftool prog loadall` (libbpf) on one generated
 * object with 50 programs and 20 maps: best of N runs each.
 * Run: npm run bench -w @ts-ebpf/elf   (root, CAP_BPF, clang-19 and bpftool installed)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollection } from '../src/index.js';

const PROGRAMS = 50;
const MAPS = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function source(): string {
  const lines = [
    '#include <linux/bpf.h>',
    '#include <bpf/bpf_helpers.h>',
    'char LICENSE[] SEC("license") = "GPL";',
  ];
  for (let m = 0; m < MAPS; m++) {
    const type = m % 2 === 0 ? 'BPF_MAP_TYPE_HASH' : 'BPF_MAP_TYPE_ARRAY';
    lines.push(
      `struct { __uint(type, ${type}); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } map_${m} SEC(".maps");`,
    );
  }
  lines.push('__u64 total = 0;');
  for (let p = 0; p < PROGRAMS; p++) {
    lines.push(`SEC("xdp") int prog_${p}(struct xdp_md *ctx) {
  __u32 k = ctx->ingress_ifindex & 63;
  __u64 one = 1, *v = bpf_map_lookup_elem(&map_${p % MAPS}, &k);
  if (v) __sync_fetch_and_add(v, ${p + 1});
  else bpf_map_update_elem(&map_${p % MAPS}, &k, &one, BPF_ANY);
  __sync_fetch_and_add(&total, 1);
  return XDP_PASS;
}`);
  }
  return lines.join('\n');
}

function best(fn: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
const pins = `/sys/fs/bpf/ts-ebpf-bench-${process.pid}`;
try {
  const src = join(dir, 'many.bpf.c');
  const obj = join(dir, 'many.bpf.o');
  writeFileSync(src, source());
  execFileSync('clang-19', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    '-I/usr/include/x86_64-linux-gnu',
    '-c',
    src,
    '-o',
    obj,
  ]);
  const bytes = new Uint8Array(readFileSync(obj));

  // warm up both (kernel BTF parse caches, page cache)
  loadCollection(bytes).close();
  const ours = best(() => loadCollection(bytes).close());
  const theirs = best(() => {
    execFileSync('bpftool', ['prog', 'loadall', obj, pins], { stdio: 'ignore' });
    rmSync(pins, { recursive: true, force: true });
  });
  const spawn = best(() => execFileSync('bpftool', ['version'], { stdio: 'ignore' }));
  console.log(
    `object: ${PROGRAMS} programs, ${MAPS} maps + .bss, ${bytes.byteLength} bytes; best of ${RUNS}`,
  );
  console.log(`loadCollection + close:        ${ours.toFixed(1)} ms`);
  console.log(
    `bpftool prog loadall (+unpin): ${theirs.toFixed(1)} ms (process start alone: ${spawn.toFixed(1)} ms)`,
  );
  console.log(`ratio loadCollection / bpftool: ${(ours / theirs).toFixed(2)}`);
  console.log(`ratio without bpftool's start:  ${(ours / Math.max(theirs - spawn, 0.001)).toFixed(2)}`);
} finally {
  rmSync(pins, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
