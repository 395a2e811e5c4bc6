import { bpf } from '@ts-ebpf/dsl';
import { close, Errno, pageSize, progTestRun } from '@ts-ebpf/syscall';
import { describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { defaultPoller, PerfBuffer, ReaderClosedError } from '../src/index.js';
import { loadProducer, perfWithProducer, run } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

const seqOf = (rec: Uint8Array) => Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(0, true));

describeKernel('PerfBuffer pause and resume', () => {
  it('bufferSize is the data bytes of each CPU ring', () => {
    using p = perfWithProducer(16);
    using perf = PerfBuffer.open(p.map, { pages: 4 });
    expect(perf.bufferSize).toBe(4 * pageSize());
  });

  it('while paused the kernel writes nothing and counts each sample lost, reported ahead of the first sample after the resume', async () => {
    using p = perfWithProducer(16);
    using perf = PerfBuffer.open(p.map, { pages: 1 });
    // what arrives, in order: samples by seq, lost counts as negative numbers
    const seen: number[] = [];
    perf.on('lost', (count) => seen.push(-count));
    run(p.prog, 5);
    perf.pause();
    perf.pause();
    expect(perf.paused).toBe(true);
    // test-run with a repeat runs on one CPU: all ten are lost on that CPU's ring
    run(p.prog, 10);
    // bpf_perf_event_output failed for each (the producer counts a failed output as a drop)
    expect(p.cnt.get(0)).toEqual({ seq: 15n, drops: 10n });
    // samples written before the pause are still there
    perf.consume((rec) => seen.push(seqOf(rec)));
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(perf.pending).toBe(false);
    perf.resume();
    perf.resume();
    expect(perf.paused).toBe(false);
    // The lost count is written to the ring of the CPU that lost them, with the next sample output
    // there: produce one at a time until that CPU has run one (the thread may have moved).
    for (let i = 0; i < 1000 && !seen.includes(-10); i++) {
      run(p.prog, 1);
      perf.consume((rec) => seen.push(seqOf(rec)));
      if (!seen.includes(-10)) await new Promise((r) => setTimeout(r, 1));
    }
    const at = seen.indexOf(-10);
    expect(at).toBeGreaterThanOrEqual(5);
    // the record after the lost count is a sample written after the resume
    expect(seen[at + 1]).toBeGreaterThanOrEqual(15);
    expect(seen.filter((x) => x < 0)).toEqual([-10]);
    expect(perf.stats.discarded).toBe(10);
  });

  it('bpf_perf_event_output fails with -ENOSPC while paused', () => {
    using p = perfWithProducer(16);
    // returns what bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, &u64, 8) returned
    const prog = loadProducer(
      hostCode(bpf`
        *(u64 *)(r10 - 8) = 7
        r2 = map[fd:${p.map.fd}]
        w3 = -1
        r4 = r10
        r4 += -8
        r5 = 8
        call bpf_perf_event_output
        exit`),
      'perf',
    );
    try {
      using perf = PerfBuffer.open(p.map, { pages: 1 });
      const output = () => progTestRun({ progFd: prog, dataIn: new Uint8Array(64) }).retval | 0;
      expect(output()).toBe(0);
      perf.pause();
      expect(output()).toBe(-Errno.ENOSPC);
      perf.resume();
      expect(output()).toBe(0);
    } finally {
      close(prog);
    }
  });

  it('refuses to pause or resume once closed', () => {
    using p = perfWithProducer(16);
    const perf = PerfBuffer.open(p.map, { pages: 1 });
    perf.close();
    expect(() => perf.pause()).toThrow(ReaderClosedError);
    expect(() => perf.resume()).toThrow(ReaderClosedError);
  });
});
