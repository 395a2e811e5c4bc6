/**
 * Tutorial 2, maps from TypeScript: a hash map with a struct value, an array, a per-CPU
 * array, batch writes and reads, and iteration — every map created in the kernel, every
 * value encoded and decoded by a typed codec. docs/tutorials/02-maps.md walks through it.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tutorial-maps.ts
 */
import { ArrayMap, HashMap, ipv4, PerCpuArrayMap, struct, sum, u16, u32, u64 } from '@ts-ebpf/maps';

// 1. A hash map: IPv4 address → { packets, bytes, port }. The codecs give the C layout
//    (struct { u64 packets; u64 bytes; u16 port; } with its padding) and the TS types.
const Stats = struct({ packets: u64, bytes: u64, port: u16 });
using flows = HashMap.create({ key: ipv4, value: Stats, maxEntries: 64, name: 'flows' });
flows.set('10.0.0.1', { packets: 3n, bytes: 1500n, port: 53 });
flows.set('10.0.0.2', { packets: 1n, bytes: 60n, port: 443 });
console.log('value size in the kernel:', flows.info().valueSize, 'bytes');
console.log('10.0.0.1 →', flows.get('10.0.0.1'));
console.log('10.0.0.9 →', flows.get('10.0.0.9')); // absent keys read as undefined
flows.delete('10.0.0.2');
console.log('entries after delete:', flows.count());

// 2. An array: keys are indexes 0..maxEntries-1, every slot exists and starts at zero.
using histogram = ArrayMap.create({ value: u64, maxEntries: 4 });
histogram.set(2, 7n);
console.log('array:', [...histogram.values()].join(' '));

// 3. A per-CPU array: one value per possible CPU, read as an array; sum() folds it.
using perCpuCounts = PerCpuArrayMap.create({ value: u64, maxEntries: 1 });
const cpus = perCpuCounts.get(0)!.length;
perCpuCounts.set(
  0,
  Array.from({ length: cpus }, (_, cpu) => BigInt(cpu + 1)),
);
console.log(`per-CPU slot 0 over ${cpus} CPUs sums to`, sum(perCpuCounts.get(0)!));

// 4. Batch: many entries in one system call each way.
using squares = HashMap.create({ key: u32, value: u32, maxEntries: 1000 });
const keys = Array.from({ length: 500 }, (_, i) => i);
console.log(
  'batch wrote',
  squares.setBatch(
    keys,
    keys.map((k) => k * k),
  ),
  'entries',
);
let read = 0;
let total = 0;
for (let cursor = null, done = false; !done; ) {
  const chunk = squares.getBatch(cursor, 128);
  read += chunk.keys.length;
  total += chunk.values.reduce((a, b) => a + b, 0);
  ({ cursor, done } = chunk);
}
console.log(`batch read ${read} entries, sum of squares ${total}`);

// 5. Iteration: keys(), values() and entries() walk the map (in the kernel's hash order).
const small = [...squares.entries()].filter(([k]) => k < 4).sort(([a], [b]) => a - b);
console.log('entries below 4:', JSON.stringify(small));
