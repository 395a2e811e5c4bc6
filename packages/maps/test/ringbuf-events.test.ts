import { getEventListeners } from 'node:events';
import {
  BpfArgumentError,
  BpfProgType,
  BpfTestRunFlag,
  close,
  onlineCpus,
  progLoad,
  progTestRun,
} from '@ts-ebpf/syscall';
import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  array,
  CodecError,
  defaultPoller,
  type Infer,
  PerfBuffer,
  Poller,
  type PollRegistration,
  type PollSource,
  ReaderStateError,
  RingBuffer,
  struct,
  u8,
  u32,
  u64,
} from '../src/index.js';
import { counters, outputProgram, perfWithProducer, ringWithProducer, run, runLater } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

// A 32-byte record of ringReserveProgram: its seq at 0 and 24, the seq's low byte in between.
const reserved = struct({ seq: u64, lo: u32, hi: u32, bytes: array(u8, 8), tail: u64 });

/** Checks a decoded ringReserveProgram record and returns its seq. */
function checkReserved(ev: Infer<typeof reserved>): number {
  const b = Number(ev.seq & 0xffn);
  expect(ev.tail).toBe(ev.seq);
  expect(ev.lo).toBe(b * 0x01010101);
  expect(ev.hi).toBe(b * 0x01010101);
  expect(ev.bytes).toEqual(Array(8).fill(b));
  return Number(ev.seq);
}

// A sample of outputProgram: every u64 is its seq (the kernel pads a 24-byte sample to 28).
const output = struct({ seq: u64, lo: u32, hi: u32, tail: u64 });

function checkOutput(ev: Infer<typeof output>): number {
  expect(ev.tail).toBe(ev.seq);
  expect(ev.lo).toBe(Number(ev.seq));
  expect(ev.hi).toBe(0);
  return Number(ev.seq);
}

const upTo = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describeKernel('RingBuffer decoded events', () => {
  it('consumeEvents decodes every record in place, skipping discarded ones, through many wraps', () => {
    // 40 bytes of ring a record, 4 KiB of ring: 3000 records wrap it ~30 times
    using p = ringWithProducer(32, 4096, true);
    using reader = RingBuffer.open(p.ring);
    const seen: number[] = [];
    for (let round = 0; round < 30; round++) {
      run(p.prog, 100);
      expect(reader.consumeEvents(reserved, (ev) => seen.push(checkReserved(ev)))).toBe(50);
    }
    expect(seen).toEqual(upTo(1500).map((i) => 2 * i));
    expect(reader.stats).toEqual({ records: 1500, bytes: 1500 * 32, discarded: 1500 });
    expect(p.cnt.get(0)!.drops).toBe(0n);
    // a limit leaves the rest, in order
    run(p.prog, 10);
    const few: number[] = [];
    expect(reader.consumeEvents(reserved, (ev) => few.push(checkReserved(ev)), 2)).toBe(2);
    expect(reader.consumeEvents(reserved, (ev) => few.push(checkReserved(ev)))).toBe(3);
    expect(few).toEqual([3000, 3002, 3004, 3006, 3008]);
  });

  it('for await over events(codec) from a producer that runs later; a break leaves the rest in the ring', async () => {
    using p = ringWithProducer(32, 1 << 16);
    const poller = new Poller();
    using reader = RingBuffer.open(p.ring, { poller });
    const producer = runLater(p.prog, 5, 20);
    const seen: number[] = [];
    for await (const ev of reader.events(reserved)) if (seen.push(checkReserved(ev)) === 70) break;
    await producer;
    expect(seen).toEqual(upTo(70));
    // nothing read ahead, nothing lost, nothing left watching
    expect(poller.size).toBe(0);
    const rest: number[] = [];
    reader.consumeEvents(reserved, (ev) => rest.push(checkReserved(ev)));
    expect(rest).toEqual(upTo(30, 70));
    // a second iteration goes on where the first stopped
    run(p.prog, 3);
    const again: number[] = [];
    for await (const ev of reader.events(reserved)) if (again.push(checkReserved(ev)) === 3) break;
    expect(again).toEqual([100, 101, 102]);
    expect(reader.stats.records).toBe(103);
  });

  it('closing the reader ends an iteration that waits, and a subscription', async () => {
    using p = ringWithProducer(32, 4096);
    const reader = RingBuffer.open(p.ring);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const ev of reader.events(reserved)) seen.push(checkReserved(ev));
      return 'ended';
    })();
    const sub = reader.onEvent(reserved, (ev) => seen.push(checkReserved(ev)));
    await tick();
    run(p.prog, 2);
    // a loaded machine may delay the notification
    for (let i = 0; i < 1000 && seen.length < 2; i++) await tick(10);
    reader.close();
    expect(await loop).toBe('ended');
    expect(sorted(seen)).toEqual([0, 1]);
    expect(sub.closed).toBe(true);
    sub.close();
    expect(() => reader.events(reserved)).toThrow(/closed/);
    expect(() => reader.onEvent(reserved, () => {})).toThrow(/closed/);
  });

  it('onEvent ends a turn of the event loop after 1 ms, a batch of 4096 once begun being finished', async () => {
    using p = ringWithProducer(32, 1 << 20);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 20_000);
    // ~2 µs a record: one batch takes ~8 ms, past the turn's 1 ms
    const slow = () => {
      const until = performance.now() + 0.002;
      while (performance.now() < until);
    };
    const seen: number[] = [];
    const atTurns: number[] = [];
    let ticking = true;
    const tickEachTurn = () => {
      atTurns.push(seen.length);
      if (ticking) setImmediate(tickEachTurn);
    };
    setImmediate(tickEachTurn);
    await new Promise<void>((resolve) => {
      const sub = reader.onEvent(reserved, (ev) => {
        seen.push(checkReserved(ev));
        slow();
        if (seen.length === 20_000) {
          sub.close();
          resolve();
        }
      });
    });
    ticking = false;
    expect(seen).toEqual(upTo(20_000));
    // the other callbacks ran between batches, never in the middle of one (a poller wake-up and
    // a scheduled turn can run two batches in one loop iteration, so not after every batch)
    const between = atTurns.filter((n) => n > 0 && n < 20_000);
    expect(between.length).toBeGreaterThanOrEqual(2);
    for (const n of between) expect(n % 4096).toBe(0);
  });

  it('onEvent keeps one turn scheduled at a time, and waits for the poller only once the ring is drained', async () => {
    using p = ringWithProducer(32, 1 << 21);
    // Counts the poller's wake-ups of the reader: while records are left after a turn, the next
    // turn drains them without re-arming the ring's fd (which is still readable, so the poller
    // would notify the reader again at once, after every drain).
    let wakeups = 0;
    class CountingPoller extends Poller {
      override add(fd: number, source: PollSource): PollRegistration {
        return super.add(fd, {
          onReadable: () => {
            wakeups++;
            source.onReadable();
          },
        });
      }
    }
    const poller = new CountingPoller();
    using reader = RingBuffer.open(p.ring, { poller });
    // Counts the immediates scheduled and not run yet (the reader's and its poller's
    // notifications, the only ones here).
    const realSetImmediate = globalThis.setImmediate;
    let pending = 0;
    let maxPending = 0;
    const counting = (fn: () => void) => {
      pending++;
      maxPending = Math.max(maxPending, pending);
      return realSetImmediate(() => {
        pending--;
        fn();
      });
    };
    let got = 0;
    let want = 1;
    let arrived: () => void = () => {};
    const sub = reader.onEvent(reserved, () => {
      // ~1 µs a record: each batch overruns its turn, and the ring stays readable meanwhile,
      // so that a re-armed poller would keep notifying the subscription
      const until = performance.now() + 0.001;
      while (performance.now() < until);
      if (++got === want) arrived();
    });
    const all = (n: number) =>
      new Promise<void>((resolve) => {
        want = n;
        arrived = resolve;
      });
    try {
      // the subscription is running once the first record arrived through it
      const first = all(1);
      run(p.prog, 1);
      await first;
      globalThis.setImmediate = counting as unknown as typeof setImmediate;
      const rest = all(40_001);
      run(p.prog, 40_000);
      wakeups = 0;
      const turns = { before: 0 };
      let ticking = true;
      const tickEachTurn = () => {
        turns.before++;
        if (ticking) realSetImmediate(tickEachTurn);
      };
      realSetImmediate(tickEachTurn);
      await rest;
      ticking = false;
      // ~40 ms of callbacks in 1 ms turns: the event loop turned in between
      expect(turns.before).toBeGreaterThanOrEqual(10);
    } finally {
      globalThis.setImmediate = realSetImmediate;
      sub.close();
    }
    expect(maxPending).toBe(1);
    // the wake-up that started the drain (and one the producer's records may have raced)
    expect(wakeups).toBeLessThanOrEqual(2);
  });

  it('an abort signal ends events(codec) and onEvent, the reader staying open', async () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    const ac = new AbortController();
    const loop = (async () => {
      let n = 0;
      for await (const _ of reader.events(reserved, { signal: ac.signal })) n++;
      return n;
    })();
    const seen: number[] = [];
    const sub = reader.onEvent(reserved, (ev) => seen.push(checkReserved(ev)), { signal: ac.signal });
    await tick();
    ac.abort();
    expect(await loop).toBe(0);
    expect(sub.closed).toBe(true);
    run(p.prog, 2);
    await tick(50);
    expect(seen).toEqual([]);
    expect(reader.closed).toBe(false);
    expect(reader.consumeEvents(reserved, (ev) => seen.push(checkReserved(ev)))).toBe(2);
  });

  it('onEvent delivers as the producer runs; closed from its callback, the rest stays in the ring', async () => {
    using p = ringWithProducer(32, 1 << 16);
    using reader = RingBuffer.open(p.ring);
    const seen: number[] = [];
    const twenty = new Promise<void>((resolve) => {
      const sub = reader.onEvent(reserved, (ev) => {
        if (seen.push(checkReserved(ev)) === 20) {
          sub.close();
          resolve();
        }
      });
    });
    await runLater(p.prog, 3, 10);
    await twenty;
    expect(seen).toEqual(upTo(20));
    await tick();
    expect(seen).toHaveLength(20);
    const rest: number[] = [];
    expect(reader.consumeEvents(reserved, (ev) => rest.push(checkReserved(ev)))).toBe(10);
    expect(rest).toEqual(upTo(10, 20));
  });

  it("onEvent's onError takes refused records and the callback's errors, the subscription going on", async () => {
    using p = ringWithProducer(32, 1 << 16);
    using reader = RingBuffer.open(p.ring);
    const seen: number[] = [];
    const errors: unknown[] = [];
    using sub = reader.onEvent(
      reserved,
      (ev) => {
        const seq = checkReserved(ev);
        seen.push(seq);
        if (seq % 3 === 1) throw new Error(`callback refused ${seq}`);
      },
      { onError: (e) => errors.push(e) },
    );
    run(p.prog, 6);
    while (seen.length < 6) await tick(5);
    expect(seen).toEqual(upTo(6));
    expect(errors.map((e) => (e as Error).message)).toEqual(['callback refused 1', 'callback refused 4']);
    expect(sub.closed).toBe(false);
    // records the codec refuses (16 bytes for a 32-byte codec), handed over one by one
    using short = ringWithProducer(16, 4096);
    using shortReader = RingBuffer.open(short.ring);
    const refused: unknown[] = [];
    using shortSub = shortReader.onEvent(reserved, () => {}, { onError: (e) => refused.push(e) });
    run(short.prog, 3);
    while (refused.length < 3) await tick(5);
    expect(refused).toHaveLength(3);
    for (const e of refused) expect(e).toBeInstanceOf(CodecError);
    expect(shortSub.closed).toBe(false);
    expect(shortReader.pending).toBe(false);
    expect(shortReader.stats.records).toBe(0);
  });

  it("onEvent's onError: a callback's own ReaderStateError goes on; a throw of onError surfaces from the wake-up", async () => {
    using p = ringWithProducer(32, 4096);
    // Keeps what the reader's wake-ups throw (an uncaughtException otherwise).
    const thrown: unknown[] = [];
    class CatchingPoller extends Poller {
      override add(fd: number, source: PollSource): PollRegistration {
        return super.add(fd, {
          onReadable: () => {
            try {
              source.onReadable();
            } catch (e) {
              thrown.push(e);
            }
          },
        });
      }
    }
    const poller = new CatchingPoller();
    using reader = RingBuffer.open(p.ring, { poller });
    const seen: number[] = [];
    const errors: unknown[] = [];
    using sub = reader.onEvent(
      reserved,
      (ev) => {
        // reading inside a callback is refused with a ReaderStateError: the callback's, not the ring's
        if (seen.push(checkReserved(ev)) === 1) reader.consume(() => {});
      },
      { onError: (e) => errors.push(e) },
    );
    run(p.prog, 3);
    while (seen.length < 3) await tick(5);
    expect(seen).toEqual(upTo(3));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ReaderStateError);
    expect(sub.closed).toBe(false);
    expect(thrown).toEqual([]);
    // onError that closes the reader and throws: its error still surfaces
    using other = RingBuffer.open(p.ring, { poller });
    other.onEvent(
      reserved,
      () => {
        throw new Error('from the callback');
      },
      {
        onError: () => {
          other.close();
          throw new Error('from onError');
        },
      },
    );
    sub.close();
    await tick(); // its first drain (of what was ready when it subscribed) has run
    run(p.prog, 1);
    while (thrown.length === 0) await tick(5);
    expect((thrown[0] as Error).message).toBe('from onError');
  });

  it("onEvent's onError gets a ring it cannot read (a lease held) once, the subscription closed", async () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 2);
    const lease = reader.leaseRecords();
    const errors: unknown[] = [];
    const sub = reader.onEvent(reserved, () => {}, { onError: (e) => errors.push(e) });
    run(p.prog, 1);
    while (errors.length === 0) await tick(5);
    await tick();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ReaderStateError);
    expect(sub.closed).toBe(true);
    lease.commit();
    expect(reader.consumeEvents(reserved, () => {})).toBe(1);
  });

  it('a record shorter than the codec is consumed and reported; the next decode goes on after it', async () => {
    using p = ringWithProducer(16, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 2);
    expect(() => reader.consumeEvents(reserved, () => {})).toThrow(CodecError);
    const seq: bigint[] = [];
    expect(reader.consumeEvents(struct({ seq: u64, tail: u64 }), (ev) => seq.push(ev.seq))).toBe(1);
    expect(seq).toEqual([1n]);
    // a for await step the same way
    run(p.prog, 2);
    const iterated = reader.events(reserved);
    await expect(iterated.next()).rejects.toThrow(CodecError);
    // the rejected step ended that iteration (as a throw ends a generator); the reader goes on
    expect(await iterated.next()).toEqual({ value: undefined, done: true });
    for await (const ev of reader.events(struct({ seq: u64, tail: u64 }))) {
      seq.push(ev.seq);
      break;
    }
    expect(seq).toEqual([1n, 3n]);
    expect(reader.pending).toBe(false);
    expect(reader.stats.records).toBe(2);
  });

  it('a step that waited for a record it cannot decode rejects, ends the iteration and stops watching', async () => {
    using p = ringWithProducer(16, 4096);
    const poller = new Poller();
    using reader = RingBuffer.open(p.ring, { poller });
    const iterated = reader.events(reserved);
    const step = iterated.next();
    await tick();
    expect(poller.size).toBe(1);
    run(p.prog, 2);
    await expect(step).rejects.toThrow(
      /^ring buffer reader of ringbuf map .*: struct: a 16-byte record is shorter/,
    );
    expect(poller.size).toBe(0);
    expect(await iterated.next()).toEqual({ value: undefined, done: true });
    // the refused record was consumed, the next is there
    expect(reader.consumeEvents(struct({ seq: u64 }), () => {})).toBe(1);
    expect(reader.stats.records).toBe(1);
  });

  it('steps asked for while one waits settle in the order asked; return() settles a waiting step at once', async () => {
    using p = ringWithProducer(32, 4096);
    const poller = new Poller();
    using reader = RingBuffer.open(p.ring, { poller });
    const iterated = reader.events(reserved);
    const first = iterated.next();
    await tick();
    // the records are ready before the waiting step has seen the poller's notification
    run(p.prog, 2);
    const second = iterated.next();
    expect(checkReserved((await first).value!)).toBe(0);
    expect(checkReserved((await second).value!)).toBe(1);

    // a step asked for from a reaction to the first comes after one asked for before it settled
    const order: string[] = [];
    const a = iterated.next();
    const d = a.then(() => iterated.next());
    const b = iterated.next();
    await tick();
    run(p.prog, 3);
    for (const [name, step] of [
      ['a', a],
      ['b', b],
      ['d', d],
    ] as const)
      order.push(`${name}${checkReserved((await step).value!)}`);
    expect(order).toEqual(['a2', 'b3', 'd4']);
    // the caller's signal keeps no listener of a step that waited and settled
    const shutdown = new AbortController();
    for (let i = 0; i < 3; i++) {
      const signalled = reader.events(reserved, { signal: shutdown.signal });
      const stepped = signalled.next();
      await tick();
      run(p.prog, 1);
      await stepped;
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
      await signalled.return!();
    }

    const waiting = iterated.next();
    const after = iterated.next();
    await tick();
    expect(poller.size).toBe(1);
    expect(await iterated.return!()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await after).toEqual({ value: undefined, done: true });
    expect(poller.size).toBe(0);
    expect(reader.stats.records).toBe(8);
  });

  it('an events(codec) step rejects while a lease is held or records were read ahead', async () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 3);
    const lease = reader.leaseRecords();
    await expect(reader.events(reserved).next()).rejects.toThrow(/lease or cursor is held/);
    expect(lease.count).toBe(3);
    lease.commit();
    run(p.prog, 3);
    for await (const _ of reader) break;
    await expect(reader.events(reserved).next()).rejects.toThrow(/read ahead/);
    expect(reader.read()).toHaveLength(2);
  });

  it('records read ahead by the record iterator are not skipped by events', async () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 3);
    for await (const _ of reader) break;
    expect(() => reader.consumeEvents(reserved, () => {})).toThrow(/read ahead/);
    expect(reader.read()).toHaveLength(2);
    expect(reader.consumeEvents(reserved, () => {})).toBe(0);
  });
});

describeKernel('PerfBuffer decoded events', () => {
  it('consumeEvents, events(codec) and onEvent decode the samples with their CPU', async () => {
    using p = perfWithProducer(24);
    const { map, prog } = p;
    const poller = new Poller();
    // one page a CPU: 40 bytes a sample, so 300 samples wrap it
    using perf = PerfBuffer.open(map, { pages: 1, poller });
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      run(prog, 100);
      perf.consumeEvents(output, (ev, cpu) => {
        expect(perf.cpus).toContain(cpu);
        seen.push(checkOutput(ev));
      });
    }
    expect(sorted(seen)).toEqual(upTo(300));
    expect(perf.stats).toMatchObject({ records: 300, bytes: 300 * 28, discarded: 0 });

    // for await, from a producer that runs later; a break leaves the rest
    const producer = runLater(prog, 4, 10);
    const iterated: number[] = [];
    for await (const ev of perf.events(output)) if (iterated.push(checkOutput(ev)) === 25) break;
    await producer;
    expect(poller.size).toBe(0);
    perf.consumeEvents(output, (ev) => iterated.push(checkOutput(ev)));
    expect(sorted(iterated)).toEqual(upTo(40, 300));

    // the callback form, closed from its callback
    const delivered: number[] = [];
    const five = new Promise<void>((resolve) => {
      const sub = perf.onEvent(output, (ev) => {
        if (delivered.push(checkOutput(ev)) === 5) {
          sub.close();
          resolve();
        }
      });
    });
    run(prog, 8);
    await five;
    await tick();
    expect(delivered).toHaveLength(5);
    perf.consumeEvents(output, (ev) => delivered.push(checkOutput(ev)));
    expect(sorted(delivered)).toEqual(upTo(8, 340));
  });

  it("for await over events(codec) reads every CPU's ring in turn, through wraps and lost samples", async () => {
    // A raw tracepoint producer runs on the CPU test-run names: samples in two CPUs' rings.
    const cpus = onlineCpus().slice(0, 2);
    using p = perfWithProducer(24);
    const cnt = counters();
    const prog = progLoad({
      progType: BpfProgType.RAW_TRACEPOINT,
      insns: outputProgram('perf', p.map.fd, cnt.fd, 24),
    });
    const runOn = (cpu: number, n: number) => {
      for (let i = 0; i < n; i++) progTestRun({ progFd: prog, flags: BpfTestRunFlag.RUN_ON_CPU, cpu });
    };
    try {
      // one page a CPU: 40 bytes a sample, 102 fit; 4 rounds of 60 a CPU wrap each ring twice
      using perf = PerfBuffer.open(p.map, { pages: 1, cpus });
      const lost: number[] = [];
      perf.on('lost', (count, cpu) => lost.push(count, cpu));
      const seen: number[] = [];
      for (let round = 1; round <= 4; round++) {
        for (const cpu of cpus) runOn(cpu, 60);
        for await (const ev of perf.events(output))
          if (seen.push(checkOutput(ev)) === 60 * cpus.length * round) break;
      }
      expect(sorted(seen)).toEqual(upTo(240 * cpus.length));
      expect(perf.pending).toBe(false);
      // more than a ring holds: the rest is lost, and reported (by the next sample's LOST record)
      // by the iteration's steps
      for (const cpu of cpus) runOn(cpu, 150);
      const after: number[] = [];
      for await (const ev of perf.events(output)) if (after.push(checkOutput(ev)) > 0 && !perf.pending) break;
      expect(lost).toEqual([]);
      for (const cpu of cpus) runOn(cpu, 1);
      const kept = after.length;
      for await (const ev of perf.events(output))
        if (after.push(checkOutput(ev)) === kept + cpus.length) break;
      const dropped = lost.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0);
      expect(lost.filter((_, i) => i % 2 === 1).sort()).toEqual(cpus);
      expect(dropped).toBeGreaterThan(0);
      expect(after.length + dropped).toBe(151 * cpus.length);
      expect(perf.stats).toMatchObject({ records: 240 * cpus.length + after.length, discarded: dropped });
    } finally {
      close(prog);
      cnt.close();
    }
  });

  it('onEvent drains samples left after a turn on the next turns, without a new wake-up', async () => {
    using p = perfWithProducer(24);
    const { map, prog } = p;
    // 40 bytes a sample: 20 000 fit in 256 pages of one CPU's ring (test-run runs on one CPU)
    using perf = PerfBuffer.open(map, { pages: 256 });
    const seen: number[] = [];
    let turns = 0;
    let ticking = true;
    const tickEachTurn = () => {
      turns++;
      if (ticking) setImmediate(tickEachTurn);
    };
    const all = new Promise<void>((resolve) => {
      const sub = perf.onEvent(output, (ev) => {
        // ~1 µs a sample: a batch of 4096 overruns its 1 ms turn
        const until = performance.now() + 0.001;
        while (performance.now() < until);
        if (seen.push(checkOutput(ev)) === 20_000) {
          sub.close();
          resolve();
        }
      });
    });
    run(prog, 20_000);
    setImmediate(tickEachTurn);
    await all;
    ticking = false;
    // a perf event's readiness is cleared by the wake-up that saw it: the samples past the
    // first turn arrived through the reader's next turns, with the event loop turning between
    expect(sorted(seen)).toEqual(upTo(20_000));
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(perf.stats.discarded).toBe(0);
  });

  it('closing the reader ends an iteration that waits; a short sample is a CodecError', async () => {
    using p = perfWithProducer(8);
    const { map, prog } = p;
    const perf = PerfBuffer.open(map);
    run(prog, 1);
    // an 8-byte sample is padded to 12: shorter than 24
    expect(() => perf.consumeEvents(output, () => {})).toThrow(CodecError);
    expect(perf.pending).toBe(false);
    // so is a step of events(codec): the sample is consumed, the next step decodes what follows
    run(prog, 2);
    const stepped = perf.events(output);
    await expect(stepped.next()).rejects.toThrow(
      /^perf buffer reader of .*: struct: a 12-byte record is shorter/,
    );
    expect(perf.pending).toBe(true);
    await expect(perf.events(output).next()).rejects.toThrow(CodecError);
    expect(perf.pending).toBe(false);
    // onEvent's onError takes them, the subscription going on
    const refused: unknown[] = [];
    const sub = perf.onEvent(output, () => {}, { onError: (e) => refused.push(e) });
    run(prog, 2);
    while (refused.length < 2) await tick(5);
    expect(refused.map((e) => (e as Error).message)).toEqual(
      Array(2).fill(expect.stringMatching(/^perf buffer reader of .*: struct: a 12-byte record is shorter/)),
    );
    expect(sub.closed).toBe(false);
    sub.close();
    const loop = (async () => {
      for await (const _ of perf.events(output)) return 'got one';
      return 'ended';
    })();
    await tick();
    perf.close();
    expect(await loop).toBe('ended');
    expect(() => perf.events(output)).toThrow(/closed/);
  });
});

describeKernel('decoded events: a codec argument that is not a codec', () => {
  // What an untyped caller may pass: each is refused naming the argument and the reader, before
  // the ring is touched (a drain that found out at its first record would have consumed it).
  const notCodecs: [unknown, string][] = [
    [undefined, 'undefined'],
    [null, 'null'],
    [4, 'number'],
    [{}, 'an object without read() and a size'],
    [{ read: () => 0, size: -1 }, 'an object without read() and a size'],
    [{ read: () => 0, size: 1.5 }, 'an object without read() and a size'],
  ];
  type Forms = {
    consumeEvents(codec: unknown, cb: () => void): number;
    events(codec: unknown): unknown;
    onEvent(codec: unknown, cb: () => void): unknown;
  };
  const refuses = (reader: Forms, readerName: RegExp) => {
    for (const [codec, what] of notCodecs) {
      for (const call of [
        () => reader.consumeEvents(codec, () => {}),
        () => reader.events(codec),
        () => reader.onEvent(codec, () => {}),
      ]) {
        const e = thrownBy(call);
        expect(e).toBeInstanceOf(BpfArgumentError);
        expect((e as BpfArgumentError).argument).toBe('codec');
        expect((e as Error).message).toMatch(readerName);
        expect((e as Error).message).toContain(`not ${what}`);
      }
    }
  };

  it('ring buffer: refused before any record is consumed', () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 2);
    refuses(reader as unknown as Forms, /^invalid codec: ring buffer reader of ringbuf map/);
    expect(reader.stats.records).toBe(0);
    const seen: number[] = [];
    expect(reader.consumeEvents(reserved, (ev) => seen.push(checkReserved(ev)))).toBe(2);
    expect(seen).toEqual([0, 1]);
  });

  it('perf buffer: refused before any sample is consumed', () => {
    using p = perfWithProducer(24);
    const { map, prog } = p;
    using perf = PerfBuffer.open(map, { pages: 1 });
    run(prog, 2);
    refuses(perf as unknown as Forms, /^invalid codec: perf buffer reader of perf_event_array map/);
    const seen: number[] = [];
    expect(perf.consumeEvents(output, (ev) => seen.push(checkOutput(ev)))).toBe(2);
    expect(seen).toEqual([0, 1]);
  });
});
