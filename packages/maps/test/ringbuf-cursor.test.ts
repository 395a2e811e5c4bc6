import { ObjectClosedError, OutOfBoundsError } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { defaultPoller, type RecordCursor, RingBuffer } from '../src/index.js';
import { checkProduced, ringWithProducer, run } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

/** Checks the record under a cursor, as written by ringReserveProgram; returns its seq. */
function checkRecord(cursor: RecordCursor, size: number): number {
  const record = {
    length: cursor.length,
    u64: (off: number) => cursor.getBigUint64(off),
    u8: (off: number) => cursor.getUint8(off),
  };
  return checkProduced(record, size);
}

describeKernel('RingBuffer cursor', () => {
  it('walks every record once, in place, through discards and many wraps', () => {
    const size = 200;
    using p = ringWithProducer(size, 4096, true);
    const { ring, prog } = p;
    using reader = RingBuffer.open(ring);
    const seen: number[] = [];
    for (let round = 0; round < 300; round++) {
      run(prog, 10);
      using cursor = reader.cursor();
      while (cursor.next()) seen.push(checkRecord(cursor, size));
      expect(cursor.count).toBe(5);
    }
    expect(seen).toEqual(Array.from({ length: 1500 }, (_, i) => i * 2));
    expect(reader.stats).toEqual({ records: 1500, bytes: 1500 * size, discarded: 1500 });
    // every cursor gave its records' space back when it was disposed
    expect(reader.pending).toBe(false);
  });

  it('holds every record it passed until commit; next() finds records written meanwhile', () => {
    const size = 1024 - 8;
    using p = ringWithProducer(size, 4096);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    run(prog, 2);
    const cursor = reader.cursor();
    expect(cursor.next()).toBe(true);
    expect(checkRecord(cursor, size)).toBe(0);
    expect(cursor.next()).toBe(true);
    expect(checkRecord(cursor, size)).toBe(1);
    expect(cursor.next()).toBe(false);
    // no record under the cursor now
    expect(() => cursor.getUint8(0)).toThrow(OutOfBoundsError);
    run(prog, 1); // room for one more: the third 1 KiB record fills the ring
    expect(cursor.next()).toBe(true);
    expect(checkRecord(cursor, size)).toBe(2);
    run(prog, 2); // no room: the cursor holds all three
    expect(cnt.get(0)!.drops).toBe(2n);
    expect(cursor.next()).toBe(false);
    expect(() => reader.consume(() => {})).toThrow(/not committed/);
    expect(() => reader.leaseRecords()).toThrow(/not committed/);
    expect(() => reader.cursor()).toThrow(/not committed/);
    expect(reader.stats.records).toBe(0);
    cursor.commit();
    cursor.commit();
    expect(cursor.held).toBe(false);
    expect(() => cursor.next()).toThrow(ObjectClosedError);
    expect(() => cursor.getUint32(0)).toThrow(ObjectClosedError);
    expect(reader.stats).toEqual({ records: 3, bytes: 3 * size, discarded: 0 });
    run(prog, 3);
    expect(cnt.get(0)!.drops).toBe(2n);
    expect(reader.consume((r) => expect(Number(r.getBigUint64(0))).toBeGreaterThanOrEqual(5))).toBe(3);
  });

  it('a cursor whose ring closes cannot be read; its commit is then harmless', () => {
    const size = 64;
    using p = ringWithProducer(size, 1 << 14);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 4);
    const cursor = reader.cursor();
    expect(cursor.next()).toBe(true);
    expect(checkRecord(cursor, size)).toBe(0);
    reader.close();
    expect(() => cursor.getUint32(0)).toThrow(ObjectClosedError);
    expect(() => cursor.next()).toThrow(ObjectClosedError);
    cursor[Symbol.dispose]();
    expect(cursor.held).toBe(false);
    // nothing was given back: a new reader starts at the first record
    using again = RingBuffer.open(p.ring);
    expect(again.readBatch().count).toBe(4);
  });

  it('consume gives space back as it goes: records produced during one drain span many ring sizes', () => {
    const size = 200; // 208 bytes of ring each: 19 fit in 4 KiB
    using p = ringWithProducer(size, 4096);
    const { ring, cnt, prog } = p;
    using reader = RingBuffer.open(ring);
    run(prog, 10);
    const seen: number[] = [];
    const n = reader.consume((rec) => {
      seen.push(
        checkProduced(
          { length: rec.length, u64: (o) => rec.getBigUint64(o), u8: (o) => rec.getUint8(o) },
          size,
        ),
      );
      if (seen.length < 400) run(prog, 1); // the producer writes while the drain goes on
    });
    const drops = Number(cnt.get(0)!.drops);
    expect(n).toBe(seen.length);
    expect(n + drops).toBe(409);
    expect(n).toBeGreaterThan(19 * 10);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(reader.stats.records).toBe(n);
    expect(reader.pending).toBe(false);
  });
});
