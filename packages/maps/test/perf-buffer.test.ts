import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { defaultPoller, PerfBuffer } from '../src/index.js';
import { perfWithProducer, run, runLater } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

// Samples of one CPU arrive in order; across CPUs (the test thread may migrate) they do not.
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

function checkPerCpuOrder(pairs: [number, number][]): void {
  const last = new Map<number, number>();
  for (const [cpu, seq] of pairs) {
    expect(seq).toBeGreaterThan(last.get(cpu) ?? -1);
    last.set(cpu, seq);
  }
}

const seqOf = (rec: Uint8Array) => Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(0, true));

function checkRecord(rec: Uint8Array, size: number): number {
  // The kernel pads RAW samples so that 4 + size is a multiple of 8.
  expect(rec.byteLength).toBe(((size + 4 + 7) & ~7) - 4);
  const seq = seqOf(rec);
  for (let off = 8; off < size; off += 8)
    if (seqOf(rec.subarray(off)) !== seq) throw new Error(`corrupt record ${seq}`);
  return seq;
}

describeKernel('PerfBuffer reader', () => {
  it('receives exactly N samples from bpf_perf_event_output, wrapping a small ring', () => {
    using p = perfWithProducer(64);
    const { map, cnt, prog } = p;
    using perf = PerfBuffer.open(map, { pages: 1 });
    expect(perf.cpus.length).toBeGreaterThan(0);
    const seen: [number, number][] = [];
    for (let round = 0; round < 100; round++) {
      run(prog, 20);
      perf.consume((rec, cpu) => seen.push([cpu, checkRecord(rec, 64)]));
    }
    expect(cnt.get(0)).toEqual({ seq: 2000n, drops: 0n });
    checkPerCpuOrder(seen);
    expect(sorted(seen.map(([, s]) => s))).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(perf.stats).toEqual({ records: 2000, bytes: 2000 * 68, discarded: 0 });
  });

  it("a 'record' listener gets every ready sample, past one wake-up's batch of 1024", async () => {
    using p = perfWithProducer(64);
    const { map, prog } = p;
    using reader = PerfBuffer.open(map, { pages: 64 });
    const seen: number[] = [];
    reader.on('record', (rec) => seen.push(seqOf(rec)));
    run(prog, 2500);
    // a loaded machine may delay the notification
    for (let i = 0; i < 500 && seen.length < 2500; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sorted(seen)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(reader.stats.discarded).toBe(0);
  });

  it('counts LOST samples when the consumer falls behind; never a corrupt one', () => {
    using p = perfWithProducer(128);
    const { map, cnt, prog } = p;
    using perf = PerfBuffer.open(map, { pages: 1 });
    let lostEvents = 0;
    perf.on('lost', (n: number) => {
      lostEvents += n;
    });
    const pairs: [number, number][] = [];
    for (let round = 0; round < 10; round++) {
      run(prog, 100);
      perf.consume((rec, cpu) => pairs.push([cpu, checkRecord(rec, 128)]), 5);
    }
    perf.consume((rec, cpu) => pairs.push([cpu, checkRecord(rec, 128)]));
    checkPerCpuOrder(pairs);
    const seen = pairs.map(([, s]) => s);
    const c = cnt.get(0)!;
    expect(c.seq).toBe(1000n);
    expect(c.drops).toBeGreaterThan(0n);
    expect(seen.length + Number(c.drops)).toBe(1000);
    expect(perf.stats.discarded).toBe(lostEvents);
    expect(perf.stats.discarded).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('async iteration and record events', async () => {
    using p = perfWithProducer(16);
    const { map, prog } = p;
    const perf = PerfBuffer.open(map);
    const producer = runLater(prog, 10, 10);
    const got: number[] = [];
    for await (const rec of perf) if (got.push(seqOf(rec)) === 100) break;
    await producer;
    expect(sorted(got)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const events: number[] = [];
    const done = new Promise<void>((resolve) =>
      perf.on('record', (rec: Uint8Array) => {
        if (events.push(seqOf(rec)) === 10) resolve();
      }),
    );
    run(prog, 10);
    await done;
    expect(sorted(events)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    perf.close();
    perf.close();
    expect(() => perf.read()).toThrow(/closed/);
  });

  it('a watermark holds the wake-up back until that many bytes are waiting', async () => {
    using p = perfWithProducer(64);
    const { map, prog } = p;
    // each sample takes 8 (header) + 4 (size) + 64 bytes, padded to 80 bytes of ring
    using perf = PerfBuffer.open(map, { watermark: 2000 });
    const got: number[] = [];
    perf.on('record', (rec: Uint8Array) => got.push(seqOf(rec)));
    const until = async (n: number) => {
      for (let i = 0; i < 1000 && got.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await new Promise((r) => setTimeout(r, 50)); // the listener's first drain has run and found nothing
    run(prog, 30); // 2400 bytes, past the watermark: its wake-up proves the poller is up
    await until(30);
    expect(got).toHaveLength(30);
    run(prog, 10); // 800 bytes since the last wake-up: below the watermark, none
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toHaveLength(30);
    expect(perf.pending).toBe(true);
    // Each CPU's ring has its own watermark and the test may move between CPUs between runs:
    // 30 more samples from one run (one CPU) cross it whichever ring they land in.
    run(prog, 30); // 2400 bytes: past it
    await until(70);
    expect(sorted(got)).toEqual(Array.from({ length: 70 }, (_, i) => i));
  });
});
