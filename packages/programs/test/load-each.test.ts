import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { bpf } from '@ts-ebpf/dsl';
import {
  BpfArgumentError,
  BpfMapType,
  BpfProgType,
  close,
  mapCreate,
  mapDeleteElem,
  mapGetNextKey,
  stopHelperThreads,
} from '@ts-ebpf/syscall';
import { describeKernel, hostCode, openFds } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { attachTracepoint, Program, VerifierError } from '../src/index.js';
import { returns } from './helpers.js';

const PKT = new Uint8Array(64).fill(0xab);

/** Options of an XDP program named `name` that returns `ret`. */
const xdp = (ret: number, name?: string) => ({ type: BpfProgType.XDP, instructions: returns(ret), name });

/** A program the verifier rejects (a read outside `xdp_md`). */
const rejected = {
  type: BpfProgType.XDP,
  instructions: hostCode(bpf`
    r0 = 0
    r0 = *(u32 *)(r1 + 4096)
    exit`),
  name: 'oob',
};

/** The keys (u32) of a hash map. */
function keys(fd: number): number[] {
  const out: number[] = [];
  const key = new Uint8Array(4);
  const next = new Uint8Array(4);
  let first = true;
  while (mapGetNextKey(fd, first ? null : key, next)) {
    first = false;
    key.set(next);
    out.push(new DataView(next.buffer).getUint32(0, true));
  }
  return out;
}

describeKernel('Program.loadEach / loadAll', () => {
  afterAll(() => stopHelperThreads());

  it('returns each program in the order given, loaded on this thread and a helper thread', async () => {
    // Records the thread id of every BPF_PROG_LOAD this process makes (sys_enter_bpf, cmd 5).
    const threads = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64 });
    try {
      using recorder = Program.load({
        type: BpfProgType.TRACEPOINT,
        instructions: hostCode(bpf`
          r6 = r1
          r1 = *(u64 *)(r6 + 16)
          if r1 != 5 goto out
          call bpf_get_current_pid_tgid
          r1 = r0
          r1 >>= 32
          if r1 != ${process.pid} goto out
          *(u32 *)(r10 - 4) = r0
          *(u64 *)(r10 - 16) = 0
          r2 = r10
          r2 += -4
          r3 = r10
          r3 += -16
          r4 = 0
          r1 = map[fd:${threads}]
          call bpf_map_update_elem
        out:
          r0 = 0
          exit`),
      });
      using _link = attachTracepoint(recorder, 'syscalls', 'sys_enter_bpf');
      const list = Array.from({ length: 40 }, (_, i) => xdp(i % 4, `each_${i}`));
      // The helper starts with the first batch and takes loads once it is up: batches are loaded
      // until the recorder has seen a second thread load (the first may all run on this one).
      let seen: number[] = [];
      for (let round = 0; round < 50 && seen.length < 2; round++) {
        for (const key of keys(threads))
          mapDeleteElem(threads, new Uint8Array(new Uint32Array([key]).buffer));
        const loaded = Program.loadEach(list, { threads: 2 });
        seen = keys(threads);
        try {
          expect(loaded.every((p) => p instanceof Program)).toBe(true);
          const programs = loaded as Program[];
          expect(new Set(programs.map((p) => p.fd)).size).toBe(list.length);
          programs.forEach((p, i) => {
            expect(p.name).toBe(`each_${i}`);
            expect(p.info().name).toBe(`each_${i}`);
          });
          expect(programs[7]!.testRun({ data: PKT }).retval).toBe(3);
        } finally {
          for (const p of loaded) if (p instanceof Program) p.close();
        }
        if (seen.length < 2) await sleep(20);
      }
      expect(seen.length).toBe(2);
      // stopHelperThreads ends them: the helper's thread is gone.
      await stopHelperThreads();
      const gone = seen.filter((tid) => !existsSync(`/proc/self/task/${tid}`));
      expect(gone.length).toBe(1);
    } finally {
      close(threads);
    }
  });

  it('gives each failure at its place, with the error Program.load throws', () => {
    const results = Program.loadEach([xdp(1, 'before'), rejected, xdp(2, 'after')], { threads: 2 });
    try {
      expect(results[0]).toBeInstanceOf(Program);
      expect(results[2]).toBeInstanceOf(Program);
      const { error } = results[1] as { error: unknown };
      expect(error).toBeInstanceOf(VerifierError);
      let sync: unknown;
      try {
        Program.load(rejected);
      } catch (e) {
        sync = e;
      }
      expect((error as VerifierError).message).toBe((sync as VerifierError).message);
      expect((error as VerifierError).instruction).toEqual((sync as VerifierError).instruction);
      expect((results[2] as Program).testRun({ data: PKT }).retval).toBe(2);
    } finally {
      for (const r of results) if (r instanceof Program) r.close();
    }
  });

  it('loadEachAsync: the same results, the loads made by helper threads', async () => {
    const list = [xdp(1, 'before'), rejected, { ...xdp(3, 'logged'), logLevel: 1 }, xdp(2, 'after')];
    const sync = Program.loadEach(list, { threads: 2 });
    const results = await Program.loadEachAsync(list, { concurrency: 2 });
    try {
      expect(
        results.map((r) => (r instanceof Program ? r.name : String((r as { error: unknown }).error))),
      ).toEqual(sync.map((r) => (r instanceof Program ? r.name : String((r as { error: unknown }).error))));
      expect((results[1] as { error: unknown }).error).toBeInstanceOf(VerifierError);
      expect((results[2] as Program).verifierLog).toMatch(/processed \d+ insns/);
      expect((results[3] as Program).testRun({ data: PKT }).retval).toBe(2);
    } finally {
      for (const r of [...sync, ...results]) if (r instanceof Program) r.close();
    }
    await expect(Program.loadEachAsync([xdp(1)], { concurrency: 0 })).rejects.toThrow(
      /concurrency: 0 is not a thread count/,
    );
  });

  it('loads with a requested log, and many programs on three threads', () => {
    const many = Program.loadAll(
      Array.from({ length: 300 }, (_, i) => ({ ...xdp(i % 4), logLevel: i === 299 ? 2 : undefined })),
      { threads: 3 },
    );
    try {
      expect(new Set(many.map((p) => p.fd)).size).toBe(300);
      expect(many[298]!.testRun({ data: PKT }).retval).toBe(2);
      expect(many[299]!.verifierLog).toMatch(/processed 2 insns/);
      expect(many[0]!.verifierLog).toBe('');
    } finally {
      for (const p of many) p.close();
    }
  });

  it('loadAll throws the first failure and closes what it loaded', () => {
    const before = openFds().size;
    expect(() => Program.loadAll([xdp(1), rejected, { ...rejected, name: 'second' }, xdp(2)])).toThrow(
      /program 'oob'/,
    );
    expect(openFds().size).toBe(before);
  });

  it('refuses a bad thread count or bad options before loading anything', () => {
    const before = openFds().size;
    for (const threads of [0, 65, 1.5, Number.NaN]) {
      expect(() => Program.loadEach([xdp(1)], { threads })).toThrow(BpfArgumentError);
      expect(() => Program.loadEach([xdp(1)], { threads })).toThrow(/threads/);
    }
    // a string is shown quoted: it is not the number it looks like
    expect(() => Program.loadEach([xdp(1)], { threads: '2' as unknown as number })).toThrow(
      '"2" is not a thread count',
    );
    expect(() =>
      Program.loadEach([xdp(1), { type: BpfProgType.XDP, instructions: new Uint8Array(0) }], { threads: 2 }),
    ).toThrow(BpfArgumentError);
    expect(openFds().size).toBe(before);
  });
});
