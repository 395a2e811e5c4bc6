/**
 * `npx nx bench @ts-ebpf/maps`: the package's benches in one process, so that their figures
 * merge into one report (bench-results/maps.json): map operations, then ring and perf buffers.
 */
await import('./maps.bench.js');
await import('./ring.bench.js');
