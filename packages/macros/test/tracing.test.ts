import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { membersOf } from '@ts-ebpf/btf';
import { bpf } from '@ts-ebpf/dsl';
import {
  BpfAttachType,
  BpfProgType,
  kernelBtf,
  kprobeUnsupportedReason,
  ProbeUnsupportedError,
  tracingUnsupportedReason,
} from '@ts-ebpf/programs';
import { getpid, PerfSwConfig } from '@ts-ebpf/syscall';
import { describeKernel, itIfSupported, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineProgram, ScriptError, script } from '../src/index.js';
import { counter, countOf, countThenReturn, eventually } from './support.js';

// A target with a function to probe and a USDT probe whose semaphore gates it: the probe fires
// only while a tracer (the script) has raised the semaphore.
const TARGET = `
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
unsigned short mcr_tick_semaphore __attribute__((unused, section(".probes")));
__attribute__((noinline)) int mcr_work(int x) {
  __asm__ volatile("");
  if (mcr_tick_semaphore) DTRACE_PROBE1(mcr, tick, x);
  return x + 1;
}
int main(int argc, char **argv) {
  int n = atoi(argv[1]), s = 0;
  for (int i = 0; i < n; i++) s += mcr_work(i);
  printf("%d\\n", s);
  return 0;
}
`;

let dir = '';
let bin = '';
const run = (n: number) => {
  const r = spawnSync(bin, [String(n)]);
  if (r.status !== 0) throw new Error(`target failed: ${r.stderr}`);
};
const calls = (n: number) => {
  for (let i = 0; i < n; i++) getpid();
};

describeKernel('macros: tracing attach kinds', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-macros-'));
    bin = join(dir, 'target');
    writeFileSync(`${bin}.c`, TARGET);
    execFileSync('gcc', ['-O1', '-o', bin, `${bin}.c`]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const counting = (type: number, extra: { expectedAttachType?: number; attachTo?: string } = {}) => ({
    maps: { counts: counter },
    type,
    ...extra,
    build: ({ counts }: { counts: { fd: number } }) => countThenReturn(counts.fd, 0),
  });

  it('tracepoint: counts getpid calls, and stops counting once closed', () => {
    const onGetpid = defineProgram({
      ...counting(BpfProgType.TRACEPOINT),
      attach: { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_getpid' },
    });
    const s = script({ programs: { onGetpid } });
    calls(5);
    expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(5n);
    const counts = s.maps.counts;
    s.close();
    expect(counts.closed).toBe(true);
    expect(() => s.maps.counts.get(0)).toThrow(/closed/);
  });

  it('raw_tp and tp_btf: two programs of one script share one map', () => {
    const raw = defineProgram({
      ...counting(BpfProgType.RAW_TRACEPOINT),
      attach: { kind: 'raw_tp', name: 'sys_enter' },
    });
    const typed = defineProgram({
      ...counting(BpfProgType.TRACING, {
        expectedAttachType: BpfAttachType.TRACE_RAW_TP,
        attachTo: 'sys_enter',
      }),
      attach: { kind: 'tp_btf' },
    });
    using s = script({ programs: { raw, typed } });
    expect(s.links.raw.info()).toMatchObject({ type: 'raw_tracepoint', tracepoint: 'sys_enter' });
    expect(s.links.typed.info()).toMatchObject({ type: 'raw_tracepoint', tracepoint: 'sys_enter' });
    calls(5);
    // both programs count into the same map: at least twice per call
    expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(10n);
  });

  it('uprobe and uretprobe on a function of a binary, by symbol', () => {
    const entry = defineProgram({
      ...counting(BpfProgType.KPROBE),
      attach: { kind: 'uprobe', binary: bin, symbol: 'mcr_work' },
    });
    const exit = defineProgram({
      ...counting(BpfProgType.KPROBE),
      attach: { kind: 'uretprobe', binary: bin, symbol: 'mcr_work' },
    });
    using s = script({ programs: { entry, exit } });
    run(7);
    expect(countOf(s.maps.counts)).toBe(14n);
  });

  it('usdt: runs at the probe site while attached, its semaphore raised meanwhile', () => {
    const tick = defineProgram({
      ...counting(BpfProgType.KPROBE),
      attach: { kind: 'usdt', binary: bin, provider: 'mcr', name: 'tick' },
    });
    {
      using s = script({ programs: { tick } });
      expect(s.links.tick.kind).toBe('usdt');
      expect(s.links.tick.children.length).toBe(1);
      run(6);
      expect(countOf(s.maps.counts)).toBe(6n);
    }
  });

  it('perf_event: samples on every CPU until closed', async () => {
    const sample = defineProgram({
      ...counting(BpfProgType.PERF_EVENT),
      attach: { kind: 'perf_event', config: PerfSwConfig.CPU_CLOCK, sampleFrequency: 1000 },
    });
    using s = script({ programs: { sample } });
    const end = Date.now() + 50;
    while (Date.now() < end) calls(100);
    await eventually(() => countOf(s.maps.counts) > 0n);
    expect(s.links.sample.children.length).toBeGreaterThanOrEqual(1);
  });

  it('iter: a task iterator of this process, read through the typed IterLink', () => {
    const btf = kernelBtf();
    const pid = membersOf(btf, btf.findIds('task_struct', 'struct')[0]!).find((m) => m.name === 'pid')!;
    const tasks = defineProgram({
      type: BpfProgType.TRACING,
      expectedAttachType: BpfAttachType.TRACE_ITER,
      attachTo: 'task',
      build: () => bpf`
        r2 = *(u64 *)(r1 + 0)
        r3 = *(u64 *)(r1 + 8)
        if r3 == 0 goto out
        r4 = *(u32 *)(r3 + ${pid.byteOffset})
        *(u32 *)(r10 - 8) = r4
        r1 = *(u64 *)(r2 + 0)
        r2 = r10
        r2 += -8
        r3 = 4
        call bpf_seq_write
      out:
        r0 = 0
        exit`,
      attach: { kind: 'iter', pid: process.pid },
    });
    using s = script({ programs: { tasks } });
    const bytes = s.links.tasks.open().readAll();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tids = Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getUint32(i * 4, true));
    expect(tids).toContain(process.pid);
    const mine = new Set(readdirSync('/proc/self/task').map(Number));
    for (const t of tids) expect(mine.has(t)).toBe(true);
  });

  const kprobes = kprobeUnsupportedReason();
  itIfSupported(
    'kprobe and kretprobe count a kernel function',
    kprobes === undefined ? undefined : kprobes,
    () => {
      const enter = defineProgram({
        ...counting(BpfProgType.KPROBE),
        attach: { kind: 'kprobe', symbol: '__x64_sys_getpid' },
      });
      const leave = defineProgram({
        ...counting(BpfProgType.KPROBE),
        attach: { kind: 'kretprobe', symbol: '__x64_sys_getpid' },
      });
      using s = script({ programs: { enter, leave } });
      calls(3);
      expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(6n);
    },
  );

  it.skipIf(kprobes === undefined)(
    'kprobe and kretprobe are refused here with the probe reason, and nothing is left open',
    () => {
      for (const kind of ['kprobe', 'kretprobe'] as const) {
        const probe = defineProgram({
          ...counting(BpfProgType.KPROBE),
          attach: { kind, symbol: '__x64_sys_getpid' },
        });
        const before = openFds();
        const thrown = (() => {
          try {
            script({ programs: { probe } });
          } catch (e) {
            return e;
          }
        })();
        expect(thrown).toBeInstanceOf(ScriptError);
        expect((thrown as ScriptError).step).toBe(`attach program 'probe' (${kind})`);
        expect((thrown as ScriptError).cause).toBeInstanceOf(ProbeUnsupportedError);
        expect((thrown as Error).message).toContain(kprobes!);
        expect((thrown as ScriptError).cleanupErrors).toEqual([]);
        expect(leakedFds(before)).toEqual([]);
      }
    },
  );

  const lsm = tracingUnsupportedReason('lsm');
  it.skipIf(lsm === undefined)('lsm is refused here as the probe says, and nothing is left open', () => {
    const hook = defineProgram({
      ...counting(BpfProgType.LSM, { expectedAttachType: BpfAttachType.LSM_MAC, attachTo: 'file_open' }),
      attach: { kind: 'lsm' },
    });
    const before = openFds();
    let thrown: unknown;
    try {
      script({ programs: { hook } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ScriptError);
    // the probe met the same refusal: EPERM from BPF_PROG_LOAD
    expect(lsm).toContain('EPERM');
    expect((thrown as ScriptError).step).toBe("load program 'hook'");
    expect(((thrown as ScriptError).cause as Error).message).toContain('EPERM');
    expect(leakedFds(before)).toEqual([]);
  });

  itIfSupported('lsm counts file opens', lsm, () => {
    const hook = defineProgram({
      ...counting(BpfProgType.LSM, { expectedAttachType: BpfAttachType.LSM_MAC, attachTo: 'file_open' }),
      attach: { kind: 'lsm' },
    });
    using s = script({ programs: { hook } });
    readdirSync('/proc/self');
    expect(countOf(s.maps.counts)).toBeGreaterThan(0n);
  });
});
