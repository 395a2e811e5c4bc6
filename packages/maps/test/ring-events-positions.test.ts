import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { struct, u32, u64 } from '../src/index.js';
import { DrainForm, type EventRing, ringEventDrain, ringEventTake } from '../src/ring-events.js';
import { writePosition } from '../src/ring-layout.js';

// The decoded-event drain on a ring laid out in memory as the kernel maps one (producer page,
// then the data area twice), with positions near 2^32: a ring buffer's positions reach 4 GiB
// only after 4 GiB of records, too slow to produce with the kernel here.
const PAGE = 4096;
const SIZE = 4096;
const SPAN = 72; // a 64-byte record with its header
const DISCARD = 0x40000000;
const event = struct({ seq: u64, lo: u32, hi: u32 });

function fakeRing(cons: number, records: { seq: number; discarded?: boolean }[]) {
  const buffer = new ArrayBuffer(PAGE + 2 * SIZE);
  const words = new Uint32Array(buffer);
  const view = new DataView(buffer);
  const consPos = new Uint32Array(2);
  writePosition(consPos, 0, cons);
  let pos = cons;
  for (const r of records) {
    // written in both copies of the data area, as the double mapping shows it
    for (const at of [PAGE + (pos % SIZE), PAGE + SIZE + (pos % SIZE)]) {
      if (at + SPAN > buffer.byteLength) continue;
      view.setUint32(at, 64 | (r.discarded ? DISCARD : 0), HOST_LITTLE_ENDIAN);
      view.setBigUint64(at + 8, BigInt(r.seq), HOST_LITTLE_ENDIAN);
      view.setUint32(at + 16, r.seq, HOST_LITTLE_ENDIAN);
    }
    pos += SPAN;
  }
  writePosition(words, 0, pos);
  const stats = { records: 0, bytes: 0, discarded: 0 };
  const ring: EventRing = {
    name: 'test ring',
    words,
    view,
    page: PAGE,
    mask: SIZE - 1,
    size: SIZE,
    consPos,
    cons,
    prod: 0,
    closed: false,
    ready() {},
    begin() {},
    end(records: number, bytes: number, discarded: number) {
      stats.records += records;
      stats.bytes += bytes;
      stats.discarded += discarded;
    },
  };
  return { ring, consPos, produced: pos, stats };
}

const positionOf = (consPos: Uint32Array) => Number(new BigUint64Array(consPos.buffer)[0]);

describe('decoded-event drain positions', () => {
  for (const [what, discarded] of [
    ['delivered records', false],
    ['a discarded record', true],
  ] as const) {
    it(`commits each record's end position across 2^32 (${what} crossing it)`, () => {
      // the third record (index 2) ends exactly at 2^32, the fourth starts there
      const cons = 2 ** 32 - 3 * SPAN;
      const records = Array.from({ length: 6 }, (_, i) => ({ seq: i, discarded: discarded && i === 2 }));
      const { ring, consPos, produced } = fakeRing(cons, records);
      const seen: [number, number][] = [];
      const drain = ringEventDrain(ring, event, DrainForm.consume);
      const n = drain(
        (ev) => {
          seen.push([ev.lo, positionOf(consPos)]);
          expect(ring.cons).toBe(positionOf(consPos));
        },
        Number.POSITIVE_INFINITY,
        undefined,
      );
      const kept = records.map((r, i) => [r, i] as const).filter(([r]) => !r.discarded);
      expect(n).toBe(kept.length);
      expect(seen).toEqual(kept.map(([r, i]) => [r.seq, cons + (i + 1) * SPAN]));
      expect(positionOf(consPos)).toBe(produced);
      expect(ring.cons).toBe(produced);
    });
  }

  it('commits 2^32 where the written records end there', () => {
    const cons = 2 ** 32 - 3 * SPAN;
    const { ring, consPos } = fakeRing(cons, [{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    const drain = ringEventDrain(ring, event, DrainForm.consume);
    const seen: number[] = [];
    expect(drain(() => seen.push(positionOf(consPos)), Number.POSITIVE_INFINITY, undefined)).toBe(3);
    // the kernel sees 2^32 before the last callback runs
    expect(seen).toEqual([cons + SPAN, cons + 2 * SPAN, 2 ** 32]);
  });

  it('stops at the limit and goes on from there on the next drain', () => {
    const cons = 2 ** 33 - 2 * SPAN;
    const { ring, consPos, produced } = fakeRing(
      cons,
      Array.from({ length: 5 }, (_, i) => ({ seq: 10 + i })),
    );
    const drain = ringEventDrain(ring, event, DrainForm.consume);
    const got: number[] = [];
    expect(drain((ev) => got.push(ev.lo), 2, undefined)).toBe(2);
    expect(positionOf(consPos)).toBe(cons + 2 * SPAN);
    expect(drain((ev) => got.push(ev.lo), 10, undefined)).toBe(3);
    expect(got).toEqual([10, 11, 12, 13, 14]);
    expect(positionOf(consPos)).toBe(produced);
  });

  it('refuses a record header that spans more than was written', () => {
    const cons = 2 ** 32 - SPAN;
    const { ring, consPos } = fakeRing(cons, [{ seq: 1 }, { seq: 2 }]);
    // the second record claims 200 bytes where 64 were written
    for (const copy of [0, SIZE])
      ring.view.setUint32(PAGE + copy + ((cons + SPAN) % SIZE), 200, HOST_LITTLE_ENDIAN);
    const drain = ringEventDrain(ring, event, DrainForm.consume);
    const got: number[] = [];
    expect(() => drain((ev) => got.push(ev.lo), 10, undefined)).toThrow(
      `corrupt record header at ring position ${cons + SPAN}: it spans 208 bytes, but only 72 are written`,
    );
    expect(got).toEqual([1]);
    expect(positionOf(consPos)).toBe(cons + SPAN);
  });

  it('the one-record take commits each record it decodes across 2^32, skipping a discarded one', () => {
    const cons = 2 ** 32 - 3 * SPAN;
    const records = Array.from({ length: 5 }, (_, i) => ({ seq: i, discarded: i === 2 }));
    const { ring, consPos, produced, stats } = fakeRing(cons, records);
    const take = ringEventTake(ring, event);
    const seen: [number, number][] = [];
    for (let ev = take(); typeof ev !== 'symbol'; ev = take()) seen.push([ev.lo, positionOf(consPos)]);
    // the discarded third record (ending at 2^32) is skipped by the take that returns the fourth
    expect(seen).toEqual([
      [0, cons + SPAN],
      [1, cons + 2 * SPAN],
      [3, cons + 4 * SPAN],
      [4, cons + 5 * SPAN],
    ]);
    expect(positionOf(consPos)).toBe(produced);
    expect(ring.cons).toBe(produced);
    expect(stats).toEqual({ records: 4, bytes: 4 * 64, discarded: 1 });
  });

  it('the one-record take consumes a record it cannot decode, and refuses a corrupt header', () => {
    const cons = 2 ** 32 - SPAN;
    const { ring, consPos, stats } = fakeRing(cons, [{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    const take = ringEventTake(
      ring,
      struct({ seq: u64, tail: u64, more: u64, rest: u64, x: u64, y: u64, z: u64, w: u64, v: u64 }),
    );
    // 72 bytes decoded from a 64-byte record: consumed, not delivered
    expect(take).toThrow(
      'test ring: struct: a 64-byte record is shorter than the 72 bytes the codec decodes',
    );
    expect(positionOf(consPos)).toBe(cons + SPAN);
    expect(stats.records).toBe(0);
    // the third record claims 200 bytes where 64 were written
    for (const copy of [0, SIZE])
      ring.view.setUint32(PAGE + copy + ((cons + 2 * SPAN) % SIZE), 200, HOST_LITTLE_ENDIAN);
    const good = ringEventTake(ring, event);
    expect((good() as { lo: number }).lo).toBe(2);
    expect(good).toThrow(
      `corrupt record header at ring position ${cons + 2 * SPAN}: it spans 208 bytes, but only 72 are written`,
    );
    expect(positionOf(consPos)).toBe(cons + 2 * SPAN);
    expect(stats).toEqual({ records: 1, bytes: 64, discarded: 0 });
  });

  it('the one-record take counts discarded records it skips, also where none follows or a corrupt one does', () => {
    const cons = 2 ** 32 - 2 * SPAN;
    const { ring, consPos, produced, stats } = fakeRing(cons, [{ seq: 0 }, { seq: 1, discarded: true }]);
    const take = ringEventTake(ring, event);
    expect((take() as { lo: number }).lo).toBe(0);
    // only a discarded record is left: given back and counted, nothing returned
    expect(typeof take()).toBe('symbol');
    expect(positionOf(consPos)).toBe(produced);
    expect(stats).toEqual({ records: 1, bytes: 64, discarded: 1 });

    const corrupt = fakeRing(cons, [{ seq: 0, discarded: true }, { seq: 1 }]);
    // the record after the discarded one claims 200 bytes where 64 were written
    for (const copy of [0, SIZE])
      corrupt.ring.view.setUint32(PAGE + copy + ((cons + SPAN) % SIZE), 200, HOST_LITTLE_ENDIAN);
    expect(ringEventTake(corrupt.ring, event)).toThrow(
      `corrupt record header at ring position ${cons + SPAN}`,
    );
    expect(positionOf(corrupt.consPos)).toBe(cons + SPAN);
    expect(corrupt.stats).toEqual({ records: 0, bytes: 0, discarded: 1 });
  });

  it('the drain and the take refuse a record longer than the ring where more than a ring size is written', () => {
    const cons = 2 ** 32 - SPAN;
    for (const read of ['drain', 'take'] as const) {
      const { ring, consPos, stats } = fakeRing(cons, [{ seq: 1 }]);
      // the producer two ring sizes on (another consumer moved the position), the head record claiming 5000 bytes
      writePosition(ring.words, 0, cons + 2 * SIZE);
      for (const copy of [0, SIZE])
        ring.view.setUint32(PAGE + copy + (cons % SIZE), 5000, HOST_LITTLE_ENDIAN);
      const attempt =
        read === 'drain'
          ? () => ringEventDrain(ring, event, DrainForm.consume)(() => {}, 10, undefined)
          : ringEventTake(ring, event);
      expect(attempt, read).toThrow(`corrupt record header at ring position ${cons}: it spans 5008 bytes`);
      expect(positionOf(consPos), read).toBe(cons);
      expect(stats, read).toEqual({ records: 0, bytes: 0, discarded: 0 });
    }
  });
});
