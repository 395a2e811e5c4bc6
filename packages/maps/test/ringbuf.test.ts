import { close } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, expectTypeOf, it } from 'vitest';
import { defaultPoller, type PerfBufferEvents, RingBuffer, RingBufMap } from '../src/index.js';
import { counters, loadProducer, outputProgram, ringWithProducer, run, runLater } from './programs.js';

const seqOf = (rec: Uint8Array) => Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(0, true));

/** Checks a record written by ringReserveProgram and returns its seq. */
function checkReserved(rec: Uint8Array, size: number): number {
  expect(rec.byteLength).toBe(size);
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const seq = v.getBigUint64(0, true);
  expect(v.getBigUint64(size - 8, true)).toBe(seq);
  const b = Number(seq & 0xffn);
  for (let i = 8; i < size - 8; i++) if (rec[i] !== b) throw new Error(`record ${seq} corrupt at byte ${i}`);
  return Number(seq);
}

afterAll(() => expect(defaultPoller().size).toBe(0));

describeKernel('RingBuffer reader', () => {
  it('types its events: a record listener gets a Uint8Array', async () => {
    using p = ringWithProducer(16, 4096);
    using reader = RingBuffer.open(p.ring);
    const got = new Promise<Uint8Array>((resolve) =>
      reader.on('record', (rec) => {
        expectTypeOf(rec).toEqualTypeOf<Uint8Array>();
        resolve(rec);
      }),
    );
    const closed = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    run(p.prog, 1);
    expect((await got).byteLength).toBe(16);
    reader.close();
    await closed;
    expectTypeOf<PerfBufferEvents['lost']>().toEqualTypeOf<[count: number, cpu: number]>();
    expectTypeOf<PerfBufferEvents['record']>().toEqualTypeOf<[record: Uint8Array]>();
  });

  it('receives exactly N records from bpf_ringbuf_output, synchronously', () => {
    using ring = RingBufMap.create({ maxEntries: 1 << 16 });
    using cnt = counters();
    const prog = loadProducer(outputProgram('ring', ring.fd, cnt.fd, 64));
    try {
      using reader = RingBuffer.open(ring);
      run(prog, 100);
      const recs = reader.read();
      expect(recs.map(seqOf)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(recs.every((r) => r.byteLength === 64 && seqOf(r.subarray(56)) === seqOf(r))).toBe(true);
      expect(reader.stats).toEqual({ records: 100, bytes: 6400, discarded: 0 });
      expect(reader.read()).toEqual([]);
    } finally {
      close(prog);
    }
  });

  it('a record whose callback throws counts as consumed; the rest stay for the next drain', () => {
    using ring = RingBufMap.create({ maxEntries: 1 << 16 });
    using cnt = counters();
    const prog = loadProducer(outputProgram('ring', ring.fd, cnt.fd, 64));
    try {
      using reader = RingBuffer.open(ring);
      run(prog, 10);
      const seen: number[] = [];
      expect(() =>
        reader.consume((rec) => {
          seen.push(Number(rec.getBigUint64(0)));
          if (seen.length === 3) throw new Error('stop');
        }),
      ).toThrow('stop');
      expect(seen).toEqual([0, 1, 2]);
      expect(reader.consume((rec) => seen.push(Number(rec.getBigUint64(0))))).toBe(7);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(reader.stats.records).toBe(10);
    } finally {
      close(prog);
    }
  });

  it("a 'record' listener gets every ready record, past one wake-up's batch of 1024", async () => {
    // 1300 records: the first wake-up emits 1024 of them, the rest are already read ahead
    using ring = RingBufMap.create({ maxEntries: 1 << 18 });
    using cnt = counters();
    const prog = loadProducer(outputProgram('ring', ring.fd, cnt.fd, 64));
    try {
      using reader = RingBuffer.open(ring);
      const seen: number[] = [];
      reader.on('record', (rec) => seen.push(seqOf(rec)));
      run(prog, 1300);
      // a loaded machine may delay the notification
      for (let i = 0; i < 500 && seen.length < 1300; i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(Array.from({ length: 1300 }, (_, i) => i));
      expect(reader.pending).toBe(false);
    } finally {
      close(prog);
    }
  });

  it('skips discarded records and wraps the ring many times without corruption', () => {
    const size = 200;
    using p = ringWithProducer(size, 4096, true);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    const seen: number[] = [];
    for (let round = 0; round < 300; round++) {
      run(prog, 10);
      reader.consume((rec) => seen.push(checkReserved(rec.copy(), size)));
    }
    expect(cnt.get(0)).toEqual({ seq: 3000n, drops: 0n });
    // Every even seq delivered, in order; odd ones discarded.
    expect(seen).toEqual(Array.from({ length: 1500 }, (_, i) => i * 2));
    expect(reader.stats.discarded).toBe(1500);
    expect(reader.stats.records).toBe(1500);
  });

  it('a slower consumer loses records at the producer, never gets a corrupt one', () => {
    const size = 1024 - 8;
    using p = ringWithProducer(size, 4096);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    const seen: number[] = [];
    for (let round = 0; round < 50; round++) {
      run(prog, 7); // 3 fit (a fourth would need the whole 4 KiB), 4 dropped
      // Read only some of what is there, as a slow consumer would.
      reader.consume((rec) => seen.push(checkReserved(rec.copy(), size)), round % 3);
    }
    reader.consume((rec) => seen.push(checkReserved(rec.copy(), size)));
    const c = cnt.get(0)!;
    expect(c.seq).toBe(350n);
    expect(c.drops).toBeGreaterThan(0n);
    expect(BigInt(seen.length) + c.drops).toBe(350n);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('an async consumer slower than the producer: drops counted, records intact and in order', async () => {
    const size = 120;
    using p = ringWithProducer(size, 4096);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    let producing = true;
    const producer = (async () => {
      for (let round = 0; round < 40; round++) {
        run(prog, 50);
        await new Promise((r) => setTimeout(r, 1));
      }
      producing = false;
    })();
    const seen: number[] = [];
    for await (const rec of reader) {
      seen.push(checkReserved(rec, size));
      if (seen.length % 8 === 0) await new Promise((r) => setTimeout(r, 2));
      if (!producing && !reader.pending) break;
    }
    await producer;
    seen.push(...reader.read().map((r) => checkReserved(r, size)));
    const c = cnt.get(0)!;
    expect(c.seq).toBe(2000n);
    expect(c.drops).toBeGreaterThan(0n);
    expect(BigInt(seen.length) + c.drops).toBe(2000n);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('leases hold a record in place until commit', () => {
    using ring = RingBufMap.create({ maxEntries: 4096 });
    using cnt = counters();
    const prog = loadProducer(outputProgram('ring', ring.fd, cnt.fd, 16));
    try {
      using reader = RingBuffer.open(ring);
      run(prog, 2);
      const lease = reader.lease()!;
      expect(lease.bytes.length).toBe(16);
      expect(lease.bytes.getBigUint64(8)).toBe(0n);
      expect(() => reader.lease()).toThrow(/not committed/);
      lease.commit();
      expect(reader.lease()?.bytes.getBigUint64(0)).toBe(1n);
    } finally {
      close(prog);
    }
  });

  it('async iteration and record events wake without blocking the event loop', async () => {
    using ring = RingBufMap.create({ maxEntries: 1 << 14 });
    using cnt = counters();
    const prog = loadProducer(outputProgram('ring', ring.fd, cnt.fd, 32));
    try {
      const reader = RingBuffer.open(ring);
      const got: number[] = [];
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const producer = runLater(prog, 20, 10);
      for await (const rec of reader) {
        got.push(seqOf(rec));
        if (got.length === 200) break;
      }
      await producer;
      clearInterval(timer);
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(ticks).toBeGreaterThan(5);
      // The callback form.
      const events: number[] = [];
      const done = new Promise<void>((resolve) => {
        reader.on('record', (rec: Uint8Array) => {
          events.push(seqOf(rec));
          if (events.length === 50) resolve();
        });
      });
      for (let i = 0; i < 5; i++) {
        run(prog, 10);
        await new Promise((r) => setTimeout(r, 1));
      }
      await done;
      expect(events).toEqual(Array.from({ length: 50 }, (_, i) => 200 + i));
      reader.close();
      reader.close();
    } finally {
      close(prog);
    }
  });

  it('several rings share one poller; AbortSignal ends iteration', async () => {
    using r1 = RingBufMap.create({ maxEntries: 4096 });
    using r2 = RingBufMap.create({ maxEntries: 4096 });
    using cnt = counters();
    const p1 = loadProducer(outputProgram('ring', r1.fd, cnt.fd, 8));
    const p2 = loadProducer(outputProgram('ring', r2.fd, cnt.fd, 8));
    try {
      using a = RingBuffer.open(r1);
      const ac = new AbortController();
      using b = RingBuffer.open(r2, { signal: ac.signal });
      const fromA: number[] = [];
      const fromB: number[] = [];
      const ia = (async () => {
        for await (const rec of a) if (fromA.push(seqOf(rec)) === 3) break;
      })();
      const ib = (async () => {
        for await (const rec of b) fromB.push(seqOf(rec));
      })();
      await new Promise((r) => setTimeout(r, 20));
      run(p1, 1);
      run(p2, 2);
      run(p1, 2);
      await ia;
      await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      await ib;
      expect(fromA).toEqual([0, 3, 4]);
      expect(fromB).toEqual([1, 2]);
      expect(b.closed).toBe(true);
    } finally {
      close(p1);
      close(p2);
    }
  });

  it('poll waits briefly for data', () => {
    using ring = RingBufMap.create({ maxEntries: 4096 });
    using reader = RingBuffer.open(ring);
    const t = Date.now();
    expect(reader.poll(30, () => {})).toBe(0);
    expect(Date.now() - t).toBeGreaterThanOrEqual(25);
  });
});
