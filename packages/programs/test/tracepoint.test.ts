import { rmSync } from 'node:fs';
import { BpfProgType, ensureBpffs, getpid, ObjectClosedError, PerfSwConfig } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import { attachPerfEvent, attachRawTracepoint, attachTracepoint, Link, Program } from '../src/index.js';
import { Counter, eventually } from './helpers.js';

function calls(n: number): void {
  for (let i = 0; i < n; i++) getpid();
}

const pinDir = `/sys/fs/bpf/ts-ebpf-programs-${process.pid}`;

describeKernel('tracepoints and perf events', () => {
  afterAll(() => rmSync(pinDir, { recursive: true, force: true }));

  it('a tracepoint link counts getpid calls and stops when closed', () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.TRACEPOINT, instructions: c.code() });
    using link = attachTracepoint(p, 'syscalls', 'sys_enter_getpid');
    calls(5);
    expect(c.value).toBeGreaterThanOrEqual(5n);
    expect(link.isBpfLink).toBe(true);
    expect(link.info()).toMatchObject({
      type: 'perf_event',
      event: 'tracepoint',
      tracepoint: 'sys_enter_getpid',
      progId: p.info().id,
    });
    link.close();
    link.close();
    expect(link.closed).toBe(true);
    expect(() => link.info()).toThrow(ObjectClosedError);
    const after = c.value;
    calls(5);
    expect(c.value).toBe(after);
  });

  it('the legacy ioctl path attaches too', () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.TRACEPOINT, instructions: c.code() });
    {
      using link = attachTracepoint(p, 'syscalls', 'sys_enter_getpid', { legacy: true });
      expect(link.isBpfLink).toBe(false);
      calls(3);
      expect(c.value).toBeGreaterThanOrEqual(3n);
    }
    const after = c.value;
    calls(3);
    expect(c.value).toBe(after);
  });

  it('a raw tracepoint link counts, can be pinned and reopened', () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.RAW_TRACEPOINT, instructions: c.code() });
    using link = attachRawTracepoint(p, 'sys_enter');
    calls(5);
    expect(c.value).toBeGreaterThanOrEqual(5n);
    expect(link.info()).toMatchObject({
      type: 'raw_tracepoint',
      tracepoint: 'sys_enter',
      progId: p.info().id,
    });
    ensureBpffs();
    const path = `${pinDir}/rawtp-link`;
    link.pin(path);
    using reopened = Link.fromPin(path);
    expect(reopened.info().id).toBe(link.info().id);
    using byId = Link.fromId(link.info().id);
    expect(byId.info().progId).toBe(p.info().id);
    link.unpin(path);
    link.close();
    reopened.close();
    byId.close();
    const after = c.value;
    calls(5);
    expect(c.value).toBe(after);
  });

  it('perf_event sampling runs on every CPU until closed', async () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.PERF_EVENT, instructions: c.code() });
    using link = attachPerfEvent(p, { config: PerfSwConfig.CPU_CLOCK, sampleFrequency: 1000 });
    expect(link.children.length).toBeGreaterThanOrEqual(1);
    const end = Date.now() + 50;
    while (Date.now() < end) calls(100);
    await eventually(() => c.value > 0n);
    link.close();
    const after = c.value;
    await new Promise((r) => setTimeout(r, 50));
    expect(c.value).toBe(after);
  });
});
