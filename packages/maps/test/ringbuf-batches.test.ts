import { BpfArgumentError, close, ObjectClosedError, OutOfBoundsError } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { defaultPoller, type RecordBatch, RingBuffer, RingBufMap } from '../src/index.js';
import {
  checkProduced,
  counters,
  loadProducer,
  ringReserveProgram,
  ringWithProducer,
  run,
  runLater,
} from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

/** Checks record `i` of a batch or lease written by ringReserveProgram; returns its seq. */
function checkAt(
  list: RecordBatch | ReturnType<RingBuffer['leaseRecords']>,
  i: number,
  size: number,
): number {
  const record = {
    length: list.length(i),
    u64: (off: number) => list.getBigUint64(i, off),
    u8: (off: number) => list.getUint8(i, off),
  };
  return checkProduced(record, size);
}

describeKernel('RingBuffer batches and leases', () => {
  it('readBatch copies every record once, through discards and many wraps, reusing its storage', () => {
    const size = 200;
    using p = ringWithProducer(size, 4096, true);
    const { ring, prog } = p;
    using reader = RingBuffer.open(ring);
    const seen: number[] = [];
    let batch: RecordBatch | undefined;
    const first = reader.readBatch();
    expect(first.count).toBe(0);
    for (let round = 0; round < 300; round++) {
      run(prog, 10);
      batch = reader.readBatch({ into: batch });
      for (let i = 0; i < batch.count; i++) seen.push(checkAt(batch, i, size));
      // the copy is the caller's: the ring's space is already given back
      expect(reader.pending).toBe(false);
    }
    expect(seen).toEqual(Array.from({ length: 1500 }, (_, i) => i * 2));
    expect(reader.stats).toEqual({ records: 1500, bytes: 1500 * size, discarded: 1500 });
    // the same object came back each time, its storage grown once at most
    expect(reader.readBatch({ into: batch })).toBe(batch);
  });

  it('readBatch honours maxRecords and maxBytes, and its records are bytes, views and copies', () => {
    const size = 64;
    using p = ringWithProducer(size, 1 << 16);
    const { ring, prog } = p;
    using reader = RingBuffer.open(ring);
    run(prog, 40);
    const a = reader.readBatch({ maxRecords: 5 });
    expect(a.count).toBe(5);
    const b = reader.readBatch({ maxBytes: 3 * 72 });
    expect(b.count).toBe(3);
    expect(checkAt(b, 0, size)).toBe(5);
    // one record larger than maxBytes still comes out alone
    expect(reader.readBatch({ maxBytes: 1 }).count).toBe(1);
    const rest = reader.readBatch();
    expect(rest.count).toBe(31);
    const records = [...rest];
    expect(records).toHaveLength(31);
    expect(records[0]!.byteLength).toBe(size);
    expect(new DataView(records[0]!.buffer, records[0]!.byteOffset).getBigUint64(0, true)).toBe(9n);
    expect(rest.record(30)).toEqual(rest.copy(30));
    expect(rest.getUint32(30, 0)).toBe(39);
    const seqs: bigint[] = [];
    rest.forEach((view, i) => {
      expect(i).toBe(seqs.length);
      seqs.push(view.getBigUint64(0));
    });
    expect(seqs[30]).toBe(39n);
    expect(rest.view(1).getBigUint64(size - 8)).toBe(10n);
    expect(() => rest.getUint32(31, 0)).toThrow(BpfArgumentError);
    expect(() => rest.getUint32(0, size - 2)).toThrow(
      /record: read of 4 bytes at 62 is outside its 64 bytes/,
    );
    expect(rest.data.getBigUint64(rest.offsets[2]!, true)).toBe(11n);
    expect(rest.lengths[2]).toBe(size);
  });

  it('leaseRecords holds records in place until commit; the producer cannot reuse their space', () => {
    const size = 1024 - 8;
    using p = ringWithProducer(size, 4096);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    run(prog, 3); // fills the ring (a fourth 1 KiB record would need all 4 KiB; the kernel keeps one byte)
    const lease = reader.leaseRecords();
    expect(lease.count).toBe(3);
    expect([0, 1, 2].map((i) => checkAt(lease, i, size))).toEqual([0, 1, 2]);
    expect(() => reader.consume(() => {})).toThrow(/not committed/);
    expect(() => reader.readBatch()).toThrow(/not committed/);
    run(prog, 2); // no room while the lease holds the ring
    expect(cnt.get(0)!.drops).toBe(2n);
    expect(reader.stats.records).toBe(0);
    const views: number[] = [];
    lease.forEach((v) => {
      views.push(Number(v.getBigUint64(0)));
    });
    expect(views).toEqual([0, 1, 2]);
    const kept = lease.view(2);
    lease.commit();
    lease.commit();
    expect(lease.held).toBe(false);
    expect(() => lease.getUint32(0, 0)).toThrow(ObjectClosedError);
    expect(() => kept.getUint32(0)).toThrow(ObjectClosedError);
    expect(reader.stats).toEqual({ records: 3, bytes: 3 * size, discarded: 0 });
    run(prog, 2);
    expect(cnt.get(0)!.drops).toBe(2n);
    {
      using again = reader.leaseRecords({ maxRecords: 1 });
      expect(again.count).toBe(1);
      expect(checkAt(again, 0, size)).toBe(5);
    }
    const single = reader.lease()!;
    expect(single.bytes.getBigUint64(0)).toBe(6n);
    single.commit();
    const empty = reader.leaseRecords();
    expect(empty.count).toBe(0);
    expect(empty.held).toBe(false);
    expect(reader.consume(() => {})).toBe(0);
  });

  it('records read in a consume callback are unreadable once the ring closes; closing stops the drain', () => {
    using p = ringWithProducer(64, 1 << 16);
    const ring = p.ring;
    {
      const reader = RingBuffer.open(ring);
      run(p.prog, 10);
      let kept: Parameters<Parameters<RingBuffer['consume']>[0]>[0] | undefined;
      const n = reader.consume((rec) => {
        kept = rec;
        expect(rec.getBigUint64(0)).toBe(0n);
        expect(() => rec.getUint32(62)).toThrow(OutOfBoundsError);
        reader.close();
      });
      expect(n).toBe(1);
      expect(() => kept!.getUint32(0)).toThrow(ObjectClosedError);
      // the record delivered before the close counts as consumed: the next reader starts after
      // it. A lease held while its ring closes is unreadable too.
      const again = RingBuffer.open(ring);
      const held = again.leaseRecords();
      expect(held.count).toBe(9);
      const view = held.view(0);
      expect(view.getBigUint64(0)).toBe(1n);
      again.close();
      expect(held.closed).toBe(true);
      expect(() => held.getUint32(0, 0)).toThrow(ObjectClosedError);
      expect(() => view.getUint32(0)).toThrow(ObjectClosedError);
      held.commit();
      expect(() => reader.readBatch()).toThrow(ObjectClosedError);
      expect(() => reader.leaseRecords()).toThrow(ObjectClosedError);
    }
  });

  it('other reads from inside a consume callback throw instead of delivering records twice', () => {
    using p = ringWithProducer(64, 1 << 16);
    {
      using reader = RingBuffer.open(p.ring);
      run(p.prog, 8);
      const seen: bigint[] = [];
      const errors: string[] = [];
      reader.consume((rec) => {
        seen.push(rec.getBigUint64(0));
        for (const nested of [
          () => reader.consume(() => {}),
          () => reader.read(),
          () => reader.readBatch(),
          () => reader.leaseRecords(),
          () => reader.lease(),
        ]) {
          try {
            nested();
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
      });
      expect(seen).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
      expect(errors).toHaveLength(8 * 5);
      expect(new Set(errors)).toEqual(new Set([expect.stringContaining('read inside a consume callback')]));
      run(p.prog, 2);
      expect(reader.read().map((r) => new DataView(r.buffer, r.byteOffset).getBigUint64(0, true))).toEqual([
        8n,
        9n,
      ]);
    }
  });

  it('a reader keeps working after its map object is closed (it holds its own fd)', async () => {
    const ring = RingBufMap.create({ maxEntries: 1 << 14 });
    using cnt = counters();
    const prog = loadProducer(ringReserveProgram(ring.fd, cnt.fd, 64));
    try {
      using reader = RingBuffer.open(ring);
      ring.close();
      run(prog, 3);
      expect(reader.poll(100, () => {})).toBe(3);
      const got = (async () => {
        for await (const b of reader.batches()) return b.count;
      })();
      await new Promise((r) => setTimeout(r, 20));
      run(prog, 2);
      expect(await got).toBe(2);
    } finally {
      close(prog);
    }
  });

  it('for await over batches: every record of a producer that runs later, one promise per batch', async () => {
    // room for everything (20 × 50 × 72 bytes), as the first notification may come late
    const size = 64;
    using p = ringWithProducer(size, 1 << 17);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    const producer = runLater(prog, 20, 50);
    const seen: number[] = [];
    let steps = 0;
    for await (const batch of reader.batches()) {
      steps++;
      for (let i = 0; i < batch.count; i++) seen.push(checkAt(batch, i, size));
      if (seen.length === 1000) break;
    }
    await producer;
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(steps).toBeLessThan(1000);
    expect(cnt.get(0)!.drops).toBe(0n);
  });

  it('batches() ends when its signal aborts or the reader closes while it waits', async () => {
    using ring = RingBufMap.create({ maxEntries: 4096 });
    using reader = RingBuffer.open(ring);
    const ac = new AbortController();
    const aborted = (async () => {
      for await (const _ of reader.batches({ signal: ac.signal }))
        throw new Error('no records were produced');
      return 'ended';
    })();
    const closed = (async () => {
      for await (const _ of reader.batches()) throw new Error('no records were produced');
      return 'ended';
    })();
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    expect(await aborted).toBe('ended');
    reader.close();
    expect(await closed).toBe('ended');
  });
});
