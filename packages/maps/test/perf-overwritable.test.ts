import { BpfArgumentError, pageSize } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  MapTypeError,
  OverwritablePerfBuffer,
  ReaderClosedError,
  ReaderStateError,
  RingBufMap,
} from '../src/index.js';
import { perfWithProducer, run } from './programs.js';

const seqOf = (rec: Uint8Array, at = 0) =>
  Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(at, true));

/** The seq of a sample written by outputProgram (every u64 word is the seq), checked whole. */
function checkSample(rec: Uint8Array, size: number): number {
  // the kernel pads raw samples so that 4 + size is a multiple of 8
  expect(rec.byteLength).toBe(((size + 4 + 7) & ~7) - 4);
  const seq = seqOf(rec);
  for (let at = 8; at < size; at += 8)
    if (seqOf(rec, at) !== seq) throw new Error(`sample ${seq} corrupt at ${at}`);
  return seq;
}

const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

describeKernel('OverwritablePerfBuffer', () => {
  it('reads, while paused, the samples written since the last read, newest first', () => {
    using p = perfWithProducer(16);
    using perf = OverwritablePerfBuffer.open(p.map, { pages: 1 });
    expect(perf.bufferSize).toBe(pageSize());
    // test-run with a repeat runs on one CPU: each batch lands in one ring
    run(p.prog, 10);
    perf.pause();
    expect(perf.paused).toBe(true);
    expect(perf.read().map((r) => checkSample(r, 16))).toEqual(range(9, 0));
    expect(perf.read()).toEqual([]);
    perf.resume();
    // 300 samples of 32 bytes (header, size word, 20 bytes) in a 4096-byte ring: the newest 128
    // are kept, the kernel overwriting the oldest instead of dropping the newest
    run(p.prog, 300);
    perf.pause();
    const seqs = perf.read().map((r) => checkSample(r, 16));
    expect(seqs).toEqual(range(309, 310 - 4096 / 32));
    expect(p.cnt.get(0)).toEqual({ seq: 310n, drops: 0n });
    expect(perf.stats).toEqual({ records: 10 + 128, bytes: (10 + 128) * 20, discarded: 0 });
  });

  it('stops at the oldest record the newest overwrote in part, and copies a sample that wraps the ring', () => {
    // 40-byte samples take 56 bytes: 4096 is no multiple of it, so samples wrap the end
    using p = perfWithProducer(40);
    using perf = OverwritablePerfBuffer.open(p.map, { pages: 1 });
    run(p.prog, 100);
    perf.pause();
    const seen: number[] = [];
    expect(perf.consume((rec) => seen.push(checkSample(rec, 40)))).toBe(Math.floor(4096 / 56));
    expect(seen).toEqual(range(99, 100 - Math.floor(4096 / 56)));
  });

  it('keeps the samples a throwing callback did not get for the next read', () => {
    using p = perfWithProducer(16);
    using perf = OverwritablePerfBuffer.open(p.map, { pages: 1 });
    const stop = new Error('stop');
    run(p.prog, 10);
    perf.pause();
    const seen: number[] = [];
    expect(() =>
      perf.consume((rec) => {
        seen.push(checkSample(rec, 16));
        if (seen.length === 3) throw stop;
      }),
    ).toThrow(stop);
    expect(seen).toEqual([9, 8, 7]);
    // the older ones, not delivered yet, come with the next read
    expect(perf.read().map((r) => checkSample(r, 16))).toEqual(range(6, 0));
    expect(perf.read()).toEqual([]);
    // and after more samples, behind the newer ones (the thread may have moved: compared as a set)
    expect(() =>
      perf.consume(() => {
        throw stop;
      }),
    ).not.toThrow();
    perf.resume();
    run(p.prog, 10);
    perf.pause();
    let n = 0;
    expect(() =>
      perf.consume(() => {
        if (++n === 4) throw stop;
      }),
    ).toThrow(stop);
    perf.resume();
    run(p.prog, 5);
    perf.pause();
    const rest = perf.read().map((r) => checkSample(r, 16));
    expect(rest.sort((a, b) => b - a)).toEqual([...range(24, 20), ...range(15, 10)]);
    expect(perf.stats.records).toBe(10 + 10 + 5);
  });

  it('refuses to read unless paused, and counts samples output while paused as lost', async () => {
    using p = perfWithProducer(16);
    using perf = OverwritablePerfBuffer.open(p.map, { pages: 1 });
    expect(() => perf.consume(() => {})).toThrow(ReaderStateError);
    expect(() => perf.read()).toThrow(/pause\(\) first/);
    const lost: number[] = [];
    perf.on('lost', (count) => lost.push(count));
    perf.pause();
    run(p.prog, 5);
    expect(p.cnt.get(0)).toEqual({ seq: 5n, drops: 5n });
    perf.resume();
    // reported with the next sample written on the CPU that lost them (the thread may have moved)
    for (let i = 0; i < 1000 && perf.stats.discarded === 0; i++) {
      run(p.prog, 1);
      perf.pause();
      perf.read();
      perf.resume();
      if (perf.stats.discarded === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(perf.stats.discarded).toBe(5);
    expect(lost).toEqual([5]);
  });

  it('checks its map and options, and refuses use once closed', () => {
    using ring = RingBufMap.create({ maxEntries: 4096 });
    expect(() => OverwritablePerfBuffer.open(ring)).toThrow(MapTypeError);
    using p = perfWithProducer(16);
    expect(() => OverwritablePerfBuffer.open(p.map, { pages: 3 })).toThrow(BpfArgumentError);
    expect(() => OverwritablePerfBuffer.open(p.map, { cpus: [100_000] })).toThrow(/not an online CPU/);
    const perf = OverwritablePerfBuffer.open(p.map, { pages: 1 });
    let closes = 0;
    perf.on('close', () => closes++);
    perf.close();
    perf.close();
    expect(perf.closed).toBe(true);
    expect(closes).toBe(1);
    expect(() => perf.pause()).toThrow(ReaderClosedError);
    expect(() => perf.consume(() => {})).toThrow(ReaderClosedError);
  });
});
