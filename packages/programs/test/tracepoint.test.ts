import { rmSync } from 'node:fs';
import {
  BpfProgType,
  BpfSyscallError,
  ensureBpffs,
  getpid,
  ObjectClosedError,
  PerfSwConfig,
} from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  AttachError,
  attachPerfEvent,
  attachRawTracepoint,
  attachTracepoint,
  Link,
  Program,
} from '../src/index.js';
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

  it('a program attaches once per tracepoint: a second attach of it is an AttachError saying why', () => {
    for (const legacy of [false, true]) {
      using c = new Counter();
      using p = Program.load({ type: BpfProgType.TRACEPOINT, instructions: c.code(), name: 'once' });
      using first = attachTracepoint(p, 'syscalls', 'sys_enter_getpid', { legacy });
      const fds = openFds();
      const e = thrownBy(() => attachTracepoint(p, 'syscalls', 'sys_enter_getpid', { legacy }));
      expect(e).toBeInstanceOf(AttachError);
      expect((e as AttachError).target).toBe('tracepoint syscalls/sys_enter_getpid');
      expect((e as Error).message).toMatch(
        /^cannot attach to tracepoint syscalls\/sys_enter_getpid: program 'once' is attached to it already \(EEXIST\): .*a program can be attached once per tracepoint; close the first link, or load the program a second time/,
      );
      expect((e as Error).cause).toBeInstanceOf(BpfSyscallError);
      expect(leakedFds(fds)).toEqual([]); // the refused attach's perf event is closed
      // the first link still counts; a second program beside it does too
      using q = Program.load({ type: BpfProgType.TRACEPOINT, instructions: c.code(), name: 'twice' });
      {
        using second = attachTracepoint(q, 'syscalls', 'sys_enter_getpid', { legacy });
        const before = c.value;
        calls(4);
        expect(c.value - before).toBeGreaterThanOrEqual(8n);
        expect(second.closed).toBe(false);
      }
      // once the first link is closed the program attaches again
      first.close();
      using _again = attachTracepoint(p, 'syscalls', 'sys_enter_getpid', { legacy });
      const before = c.value;
      calls(3);
      expect(c.value - before).toBeGreaterThanOrEqual(3n);
    }
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
