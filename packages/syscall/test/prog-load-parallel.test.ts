import { describeKernel, leakedFds, openFds, returns, runWithoutEval } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  BpfArgumentError,
  BpfProgType,
  close,
  decodeLog,
  InvalidArgumentError,
  progInfo,
  progLoad,
  progLoadParallel,
  progLoadParallelAsync,
  startHelperThreads,
  stopHelperThreads,
} from '../src/index.js';

describeKernel('progLoadParallel', () => {
  afterAll(() => stopHelperThreads());

  it('loads every program, in order, each failure as the typed error progLoad throws', async () => {
    await startHelperThreads(3);
    const logBuf = new Uint8Array(4096);
    const loads = [
      ...Array.from({ length: 12 }, (_, i) => ({
        progType: BpfProgType.XDP,
        insns: returns(i),
        progName: `par_${i}`,
      })),
      { progType: 0x7fff, insns: returns(0), progName: 'no_such_type' },
      { progType: BpfProgType.XDP, insns: returns(1), progName: 'logged', logLevel: 2, logBuf },
    ];
    const results = progLoadParallel(loads, 3);
    try {
      expect(results).toHaveLength(loads.length);
      results.slice(0, 12).forEach((fd, i) => {
        expect(typeof fd).toBe('number');
        expect(progInfo(fd as number).name).toBe(`par_${i}`);
      });
      expect(results[12]).toBeInstanceOf(InvalidArgumentError);
      let single: unknown;
      try {
        progLoad(loads[12]!);
      } catch (e) {
        single = e;
      }
      expect((results[12] as Error).message).toBe((single as Error).message);
      expect(progInfo(results[13] as number).name).toBe('logged');
      expect(decodeLog(logBuf)).toMatch(/processed 2 insns/);
    } finally {
      for (const fd of results) if (typeof fd === 'number') close(fd);
    }
  });

  it('progLoadParallelAsync: the same loads made by helper threads alone, as concurrent batches', async () => {
    const loads = (tag: string) => [
      ...Array.from({ length: 6 }, (_, i) => ({
        progType: BpfProgType.XDP,
        insns: returns(i),
        progName: `${tag}_${i}`,
      })),
      { progType: 0x7fff, insns: returns(0) },
    ];
    const [a, b] = await Promise.all([
      progLoadParallelAsync(loads('a'), 2),
      progLoadParallelAsync(loads('b'), 1),
    ]);
    try {
      for (const [tag, results] of [
        ['a', a!],
        ['b', b!],
      ] as const) {
        results.slice(0, 6).forEach((fd, i) => {
          expect(progInfo(fd as number).name).toBe(`${tag}_${i}`);
        });
        expect(results[6]).toBeInstanceOf(InvalidArgumentError);
      }
    } finally {
      for (const fd of [...a!, ...b!]) if (typeof fd === 'number') close(fd);
    }
    await expect(progLoadParallelAsync(loads('c'), 0)).rejects.toThrow(BpfArgumentError);
  });

  it('checks every load and the thread count before any reaches the kernel', () => {
    const before = openFds();
    const good = { progType: BpfProgType.XDP, insns: returns(0) };
    expect(() => progLoadParallel([good, { ...good, insns: new Uint8Array(12) }], 2)).toThrow(
      /not a whole number of 8-byte instructions/,
    );
    for (const threads of [0, -1, 65, 1.5])
      expect(() => progLoadParallel([good], threads)).toThrow(BpfArgumentError);
    expect(leakedFds(before)).toEqual([]);
  });

  it('stopHelperThreads ends the helpers and their descriptors; a later batch starts new ones', async () => {
    await stopHelperThreads();
    const before = openFds();
    await startHelperThreads(2);
    expect(leakedFds(before).length).toBeGreaterThan(0); // each Node thread's own event loop
    await stopHelperThreads();
    expect(leakedFds(before)).toEqual([]);
    const [fd] = progLoadParallel([{ progType: BpfProgType.XDP, insns: returns(0) }], 2);
    close(fd as number);
    await expect(startHelperThreads(0)).rejects.toThrow(BpfArgumentError);
  });

  it('loads on helper threads where code cannot be made from strings', () => {
    const printed = runWithoutEval(new URL('./fixtures/load-without-eval.ts', import.meta.url));
    const names = Array.from({ length: 8 }, (_, i) => `noeval_${i}`);
    expect(JSON.parse(printed)).toEqual({ evalRefused: true, names: [...names, ...names] });
  });

  it('stopHelperThreads during an asynchronous batch: the helpers finish it first', async () => {
    await startHelperThreads(3);
    const loads = Array.from({ length: 20 }, (_, i) => ({ progType: BpfProgType.XDP, insns: returns(i) }));
    const batch = progLoadParallelAsync(loads, 2);
    await stopHelperThreads();
    const results = await batch;
    try {
      expect(results.every((fd) => typeof fd === 'number')).toBe(true);
      expect(new Set(results).size).toBe(20);
    } finally {
      for (const fd of results) if (typeof fd === 'number') close(fd);
    }
  });
});
