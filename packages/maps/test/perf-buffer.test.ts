import { readFile } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { ReadableWatch } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  defaultPoller,
  OverwritablePerfBuffer,
  PerfBuffer,
  PerfEventArray,
  type Poller,
  type PollSource,
} from '../src/index.js';
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
    // The wait is armed again at the event loop's next poll phase, and arming looks at the rings
    // (a sample that came in meanwhile is delivered): let that pass before the samples below.
    await new Promise((r) => setTimeout(r, 50));
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

  it('a sample that arrives while the wait is being armed is delivered (polling a perf event uses its readiness up)', async () => {
    // The event loop applies an arm at its next poll phase, and that registration's poll takes
    // the readiness of a sample that came in between: the stream looks at the reader again.
    const within = async (what: string, done: () => boolean) => {
      for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
      expect({ what, delivered: done() }).toEqual({ what, delivered: true });
    };
    using p = perfWithProducer(16);
    {
      // a 'record' listener, then a sample in the same turn (before the next poll phase)
      using perf = PerfBuffer.open(p.map);
      let got = 0;
      perf.on('record', () => {
        // the second sample comes from a microtask of the first one's delivery
        if (++got === 1) queueMicrotask(() => run(p.prog, 1));
      });
      await Promise.resolve();
      await new Promise((r) => setTimeout(r, 0));
      run(p.prog, 1);
      await within("the listener's first sample", () => got >= 1);
      await within("the listener's second sample", () => got >= 2);
    }
    {
      // a waiting loop, then a sample in the same turn
      using perf = PerfBuffer.open(p.map);
      let got = 0;
      const loop = (async () => {
        for await (const _ of perf) {
          got++;
          break;
        }
      })();
      await new Promise((r) => setImmediate(r));
      run(p.prog, 1);
      await within("the loop's sample", () => got === 1);
      await loop;
    }
    {
      // a waiting loop started from an I/O callback (the poll phase): the loop registers the fd
      // at its next poll phase, after this turn's immediates, which make a sample
      using perf = PerfBuffer.open(p.map);
      let got = 0;
      let loop: Promise<void> = Promise.resolve();
      await new Promise<void>((resolve) =>
        readFile('/proc/self/stat', () => {
          loop = (async () => {
            for await (const _ of perf) {
              got++;
              break;
            }
          })();
          setImmediate(() => {
            run(p.prog, 1);
            resolve();
          });
        }),
      );
      await within('the sample of a loop started in the poll phase', () => got === 1);
      await loop;
    }
  });

  it('a reader closed by its own record listener stops emitting, without an error', async () => {
    using p = perfWithProducer(16);
    const perf = PerfBuffer.open(p.map);
    let got = 0;
    perf.on('record', () => {
      got++;
      perf.close();
    });
    run(p.prog, 3);
    for (let i = 0; i < 400 && got === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe(1);
    expect(perf.closed).toBe(true);
  });

  it("a watch re-armed from the poll phase looks at ready() after its own poll phase, not an earlier arm's", async () => {
    // The perf reader's fd and ready(), as its poller gets them, watched directly: armed in a
    // timer, disarmed after its first immediate, armed again from a socket's data callback (the
    // poll phase), then a sample from an immediate: it lands after the first arm's look and before
    // the re-arm's registration, whose poll takes its readiness.
    using p = perfWithProducer(16);
    let fd = -1;
    let ready: (() => boolean) | undefined;
    const capture = {
      size: 0,
      add(f: number, _source: PollSource, options: { ready?: () => boolean } = {}) {
        fd = f;
        ready = options.ready;
        return { rearm() {}, remove() {} };
      },
    } as unknown as Poller;
    using reader = PerfBuffer.open(p.map, { poller: capture });
    const waiting = reader[Symbol.asyncIterator]();
    void waiting.next();
    await new Promise((r) => setTimeout(r, 10));
    expect(ready).toBeDefined();
    let got = 0;
    using watch = new ReadableWatch(fd, () => got++, { ready });
    let accepted: Socket | undefined;
    const server = createServer((socket) => {
      accepted = socket;
      socket.on('data', () => {
        watch.arm();
        setImmediate(() => run(p.prog, 1));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      await new Promise((r) => client.on('connect', r));
      await new Promise((r) => setTimeout(r, 20));
      setTimeout(() => {
        watch.arm();
        setImmediate(() => {
          watch.disarm();
          client.write('x');
        });
      }, 5);
      for (let i = 0; i < 200 && got === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(got).toBe(1);
    } finally {
      client.destroy();
      accepted?.destroy();
      await new Promise((r) => server.close(r));
      await waiting.return?.();
    }
  });

  // The kernel hands out the lowest free fd: a map made after another was closed takes its number.
  it.each([
    ['PerfBuffer', PerfBuffer],
    ['OverwritablePerfBuffer', OverwritablePerfBuffer],
  ] as const)("%s closed after its map leaves alone the map that took the map's fd number", (_, Reader) => {
    const first = PerfEventArray.create();
    const firstFd = first.fd;
    const stale = Reader.open(first, { pages: 1 });
    first.close();
    using p = perfWithProducer(16);
    expect(p.map.fd).toBe(firstFd);
    using reader = PerfBuffer.open(p.map, { pages: 1 });
    stale.close();
    run(p.prog, 5);
    expect(p.cnt.get(0)).toEqual({ seq: 5n, drops: 0n });
    expect(reader.read()).toHaveLength(5);
  });
});
