import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  defaultPoller,
  Poller,
  type PollRegistration,
  type PollSource,
  RingBuffer,
  struct,
  u32,
  u64,
} from '../src/index.js';
import { ringWithProducer, run, runLater } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

// The first 16 bytes of a ringReserveProgram record: its seq as a u64, then its low byte twice.
const head = struct({ seq: u64, lo: u32, hi: u32 });
const seqOf = (rec: Uint8Array) =>
  new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(0, true);
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describeKernel('RingBuffer async iteration (record and decoded-event iterators)', () => {
  it('the record iterator waits for a later producer, and a break stops watching the ring', async () => {
    using p = ringWithProducer(32, 1 << 16);
    const poller = new Poller();
    using reader = RingBuffer.open(p.ring, { poller });
    const producer = runLater(p.prog, 4, 10);
    const seen: number[] = [];
    for await (const rec of reader) if (seen.push(seqOf(rec)) === 25) break;
    await producer;
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(poller.size).toBe(0);
    // the records read ahead by the iterator come first, then the ring's, in order
    expect(reader.read().map(seqOf)).toEqual(Array.from({ length: 15 }, (_, i) => 25 + i));
  });

  it('records handed out stay valid after later reads and iterations', async () => {
    using p = ringWithProducer(32, 1 << 18);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 3000);
    const kept: Uint8Array[] = [];
    for await (const rec of reader) if (kept.push(rec) === 1000) break;
    kept.push(...reader.read(1000));
    run(p.prog, 3000);
    for (const rec of reader.read()) kept.push(rec);
    expect(kept.map(seqOf)).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    // each record's bytes are its own: words 0 and 24 are its seq
    for (const rec of kept)
      expect(new DataView(rec.buffer, rec.byteOffset).getUint32(24, true)).toBe(seqOf(rec));
  });

  it('return() ends an iterator for good: next() then reports done, also when records are ready', async () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 4);
    const records = reader[Symbol.asyncIterator]();
    expect(seqOf((await records.next()).value as Uint8Array)).toBe(0);
    expect(await records.return!()).toEqual({ value: undefined, done: true });
    expect(await records.next()).toEqual({ value: undefined, done: true });
    // what it read ahead is still readable (and must be taken before events() may decode)
    expect(reader.read().map(seqOf)).toEqual([1, 2, 3]);
    run(p.prog, 3);
    const events = reader.events(head);
    expect((await events.next()).value).toMatchObject({ seq: 4n, lo: 0x04040404 });
    expect(await events.return!()).toEqual({ value: undefined, done: true });
    expect(await events.next()).toEqual({ value: undefined, done: true });
    // no read-ahead: the rest is still in the ring
    expect(reader.read().map(seqOf)).toEqual([5, 6]);
  });

  it('an abort signal ends a waiting record iterator and events(), the reader staying open', async () => {
    using p = ringWithProducer(32, 4096);
    const poller = new Poller();
    using reader = RingBuffer.open(p.ring, { poller });
    const ac = new AbortController();
    const records = (async () => {
      for await (const _ of reader.records({ signal: ac.signal })) return 'got one';
      return 'ended';
    })();
    const events = (async () => {
      for await (const _ of reader.events(head, { signal: ac.signal })) return 'got one';
      return 'ended';
    })();
    await tick();
    ac.abort();
    expect(await records).toBe('ended');
    expect(await events).toBe('ended');
    expect(reader.closed).toBe(false);
    expect(poller.size).toBe(0);
  });

  it('an error in the loop body propagates and releases the iterator', async () => {
    using p = ringWithProducer(32, 4096);
    const poller = new Poller();
    using reader = RingBuffer.open(p.ring, { poller });
    run(p.prog, 3);
    const fail = async () => {
      for await (const rec of reader) if (seqOf(rec) === 1) throw new Error('record 1');
    };
    await expect(fail()).rejects.toThrow('record 1');
    expect(poller.size).toBe(0);
    expect(reader.read().map(seqOf)).toEqual([2]);
  });

  it('a wait whose registration failed rejects, and the next wait registers anew', async () => {
    // as when the process is out of descriptors: the poller's add() throws once
    let refusals = 1;
    class RefusingOnce extends Poller {
      override add(fd: number, source: PollSource): PollRegistration {
        if (refusals-- > 0) throw new Error('no descriptor left');
        return super.add(fd, source);
      }
    }
    const poller = new RefusingOnce();
    using p = ringWithProducer(16, 4096);
    using reader = RingBuffer.open(p.ring, { poller });
    await expect(reader[Symbol.asyncIterator]().next()).rejects.toThrow('no descriptor left');
    runLater(p.prog, 1, 20);
    const again = reader[Symbol.asyncIterator]();
    expect((await again.next()).done).toBe(false);
    expect(poller.size).toBe(1);
    // the failed wait gave its hold on the stream back: with the last iterator gone, nothing is watched
    await again.return?.();
    expect(poller.size).toBe(0);
  });

  it('closing the reader ends a waiting record iterator', async () => {
    using p = ringWithProducer(32, 4096);
    const reader = RingBuffer.open(p.ring);
    const loop = (async () => {
      for await (const _ of reader) return 'got one';
      return 'ended';
    })();
    await tick();
    reader.close();
    expect(await loop).toBe('ended');
  });
});
