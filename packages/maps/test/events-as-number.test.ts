import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  array,
  CodecError,
  defaultPoller,
  type Infer,
  PerfBuffer,
  RingBuffer,
  struct,
  u8,
  u32,
  u64AsNumber,
} from '../src/index.js';
import { perfWithProducer, ringWithProducer, run } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

// Producers write their counter's sequence number: started just below 2^53, the records carry
// u64 values above 2^32 (both halves in use), the last safe integer, then values past it.
const TOP = 2 ** 53; // the first u64 a number cannot hold exactly (Number.MAX_SAFE_INTEGER + 1)

// A 32-byte record of ringReserveProgram: its seq at 0 and 24, the seq's low byte in between.
const reserved = struct({ seq: u64AsNumber, lo: u32, hi: u32, bytes: array(u8, 8), tail: u64AsNumber });

function checkReserved(ev: Infer<typeof reserved>): number {
  expect(typeof ev.seq).toBe('number');
  const b = ev.seq % 256;
  expect(ev.tail).toBe(ev.seq);
  expect(ev.lo).toBe(b * 0x01010101);
  expect(ev.hi).toBe(b * 0x01010101);
  expect(ev.bytes).toEqual(Array(8).fill(b));
  return ev.seq;
}

// A sample of outputProgram: every u64 is its seq (the kernel pads a 24-byte sample to 28).
const output = struct({ seq: u64AsNumber, lo: u32, hi: u32, tail: u64AsNumber });

function checkOutput(ev: Infer<typeof output>): number {
  expect(ev.tail).toBe(ev.seq);
  expect(ev.hi * 2 ** 32 + ev.lo).toBe(ev.seq);
  return ev.seq;
}

/** A CodecError thrown by the callback of `consume` (a drain of one ready record) comes out as it is. */
function expectCallbackErrorPasses(consume: (cb: () => never) => unknown): void {
  const mine = new CodecError('mine', 'thrown by the callback');
  expect(
    thrownBy(() =>
      consume(() => {
        throw mine;
      }),
    ),
  ).toBe(mine);
}

const from = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describeKernel('decoded events with u64AsNumber fields', () => {
  it('a ring buffer decodes u64s up to 2^53 - 1 as numbers through many wraps; a larger one is a CodecError, consumed', async () => {
    // 40 bytes of ring a record, 4 KiB of ring (not a multiple of 40): records straddle its end
    using p = ringWithProducer(32, 4096);
    const start = TOP - 1400;
    p.cnt.set(0, { seq: BigInt(start), drops: 0n });
    using reader = RingBuffer.open(p.ring);
    const seen: number[] = [];
    for (let round = 0; round < 14; round++) {
      run(p.prog, 100);
      expect(reader.consumeEvents(reserved, (ev) => seen.push(checkReserved(ev)))).toBe(100);
    }
    expect(seen).toEqual(from(start, 1400));
    expect(seen.at(-1)).toBe(Number.MAX_SAFE_INTEGER);
    // the for await and callback forms decode the same way
    p.cnt.set(0, { seq: BigInt(start), drops: 0n });
    run(p.prog, 3);
    const iterated: number[] = [];
    for await (const ev of reader.events(reserved)) if (iterated.push(checkReserved(ev)) === 3) break;
    expect(iterated).toEqual(from(start, 3));

    // past 2^53 - 1: never a rounded number
    p.cnt.set(0, { seq: BigInt(TOP - 1), drops: 0n });
    run(p.prog, 3);
    const last: number[] = [];
    expect(() => reader.consumeEvents(reserved, (ev) => last.push(checkReserved(ev)))).toThrow(CodecError);
    expect(last).toEqual([TOP - 1]);
    // named by the reader, wrapping the codec's own error
    const refused = thrownBy(() => reader.consumeEvents(reserved, () => {})) as CodecError;
    expect(refused).toBeInstanceOf(CodecError);
    expect(refused.message).toMatch(
      /^ring buffer reader of ringbuf map .*: seq: u64AsNumber: 9007199254740993 is outside .* \(the record was consumed\)$/,
    );
    expect(refused.map).toMatch(/^ring buffer reader of /);
    expect(refused.field).toBe('seq');
    expect(refused.cause).toBeInstanceOf(CodecError);
    // a callback's own CodecError passes as it is
    p.cnt.set(0, { seq: 5n, drops: 0n });
    run(p.prog, 1);
    expectCallbackErrorPasses((cb) => reader.consumeEvents(reserved, cb));
    // a for await step the same way
    p.cnt.set(0, { seq: BigInt(TOP - 1), drops: 0n });
    run(p.prog, 2);
    const stepped = reader.events(reserved);
    expect(checkReserved((await stepped.next()).value!)).toBe(TOP - 1);
    await expect(stepped.next()).rejects.toThrow(
      /^ring buffer reader of .*: seq: u64AsNumber: 9007199254740992 is outside/,
    );
    // each failed record was consumed: nothing is left, and the stats count what was delivered
    expect(reader.pending).toBe(false);
    expect(reader.stats).toEqual({ records: 1406, bytes: 1406 * 32, discarded: 0 });
    expect(p.cnt.get(0)!.drops).toBe(0n);
  });

  it('a perf buffer decodes u64s up to 2^53 - 1 as numbers, samples wrapping its ring too; a larger one is a CodecError, consumed', () => {
    using p = perfWithProducer(24);
    const { map, cnt, prog } = p;
    // one page a CPU, 40 bytes a sample: 300 samples wrap it three times, some across its end
    using perf = PerfBuffer.open(map, { pages: 1 });
    const start = TOP - 300;
    cnt.set(0, { seq: BigInt(start), drops: 0n });
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      run(prog, 100);
      perf.consumeEvents(output, (ev) => {
        seen.push(checkOutput(ev));
      });
    }
    expect(sorted(seen)).toEqual(from(start, 300));
    run(prog, 1);
    expect(() => perf.consumeEvents(output, () => {})).toThrow(
      /^perf buffer reader of perf_event_array map .*: seq: u64AsNumber: 9007199254740992 is outside .* \(the record was consumed\)$/,
    );
    // a callback's own CodecError passes as it is
    cnt.set(0, { seq: 5n, drops: 0n });
    run(prog, 1);
    expectCallbackErrorPasses((cb) => perf.consumeEvents(output, cb));
    expect(perf.pending).toBe(false);
    expect(perf.stats).toMatchObject({ records: 301, bytes: 301 * 28, discarded: 0 });
  });
});
