import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  ArrayMap,
  cstring,
  defaultPoller,
  HashMap,
  PerfBuffer,
  PerfEventArray,
  RingBuffer,
  RingBufMap,
  struct,
  Update,
  u32,
  u64,
} from '../src/index.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

// The README's examples, kept runnable.
describeKernel('README examples', () => {
  it('arrays through a memory mapping', () => {
    using counts = ArrayMap.create({ value: u64, maxEntries: 256, mmapable: true });
    using values = counts.mmap();
    values.set(3, 10n);
    expect(values.get(3)).toBe(10n);
    expect(counts.get(3)).toBe(10n);
    expect(values.atomicAddU64(7, 1n)).toBe(0n);
    expect(counts.get(7)).toBe(1n);
  });

  it('hash map usage', () => {
    using flows = HashMap.create({
      key: u32,
      value: struct({ packets: u64, name: cstring(16) }),
      maxEntries: 1024,
      name: 'flows',
    });
    flows.set(7, { packets: 1n, name: 'eth0' });
    expect(flows.get(7)).toEqual({ packets: 1n, name: 'eth0' });
    flows.set(8, { packets: 0n, name: 'lo' }, Update.NOEXIST);
    const seen: number[] = [];
    for (const [key, value] of flows) if (value.packets >= 0n) seen.push(key);
    expect(seen.sort()).toEqual([7, 8]);
    flows.setBatch(
      [1, 2],
      [
        { packets: 1n, name: 'a' },
        { packets: 2n, name: 'b' },
      ],
    );
    const { keys, values, cursor, done } = flows.getBatch(null, 256);
    expect(keys).toHaveLength(4);
    expect(values).toHaveLength(4);
    expect(done).toBe(true);
    expect(cursor).toBeNull();
  });

  it('readers usage', async () => {
    using ring = RingBufMap.create({ maxEntries: 1 << 16 });
    const reader = RingBuffer.open(ring);
    reader.consume((rec) => rec.getUint32(0));
    {
      using cursor = reader.cursor();
      while (cursor.next()) cursor.getUint32(0);
    }
    {
      using held = reader.leaseRecords();
      for (let i = 0; i < held.count; i++) held.getUint32(i, 0);
    }
    let batch = reader.readBatch();
    for (let i = 0; i < batch.count; i++) batch.getUint32(i, 0);
    batch = reader.readBatch({ into: batch });
    reader.read();
    const ac0 = new AbortController();
    setTimeout(() => ac0.abort(), 5);
    for await (const _b of reader.batches({ signal: ac0.signal })) break;
    reader.on('record', (_rec: Uint8Array) => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 5);
    for await (const _rec of reader.records({ signal: ac.signal })) break;
    const event = struct({ pid: u32, tid: u32, ts: u64 });
    reader.consumeEvents(event, (ev) => ev.pid);
    const sub = reader.onEvent(event, (_ev) => {});
    sub.close();
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 5);
    for await (const _ev of reader.events(event, { signal: ac2.signal })) break;
    reader.close();
    using events = PerfEventArray.create();
    using perf = PerfBuffer.open(events, { pages: 8 });
    perf.on('lost', (_count: number, _cpu: number) => {});
    using perfSub = perf.onEvent(event, (_ev, _cpu) => {});
    expect(perfSub.closed).toBe(false);
    expect(perf.cpus.length).toBeGreaterThan(0);
  });
});
