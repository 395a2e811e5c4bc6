import { readFileSync } from 'node:fs';
import { BpfArgumentError, BpfAttachType, BpfProgType, encodePerfEventAttr, getpid } from '@ts-ebpf/syscall';
import { describeKernel, itIfSupported } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { kprobeEventLine, kprobeMultiAttr, kprobePerfAttr } from '../src/attach/kprobe.js';
import { tracingLinkAttr } from '../src/attach/tracing.js';
import {
  attachKprobe,
  attachKprobeMulti,
  attachTpBtf,
  attachTracing,
  btfTargetFor,
  kernelBtf,
  kprobeUnsupportedReason,
  Program,
  tracingUnsupportedReason,
} from '../src/index.js';
import { prepareLoad } from '../src/load-options.js';
import { freplacePair } from '../src/probes.js';
import { Counter, returns } from './helpers.js';

const funcId = (name: string) => kernelBtf().findIds(name, 'func')[0];

describeKernel('BTF-attached programs and kprobes', () => {
  it('resolves attachTo to the vmlinux BTF id for each program kind', () => {
    const load = (type: number, expectedAttachType: number, attachTo: string) =>
      prepareLoad({ type, expectedAttachType, attachTo, instructions: returns(0) }).attr;
    expect(load(BpfProgType.TRACING, BpfAttachType.TRACE_FENTRY, 'bpf_fentry_test1')).toMatchObject({
      progType: BpfProgType.TRACING,
      expectedAttachType: BpfAttachType.TRACE_FENTRY,
      attachBtfId: funcId('bpf_fentry_test1'),
    });
    expect(load(BpfProgType.LSM, BpfAttachType.LSM_MAC, 'file_open').attachBtfId).toBe(
      funcId('bpf_lsm_file_open'),
    );
    expect(load(BpfProgType.TRACING, BpfAttachType.TRACE_RAW_TP, 'sys_enter').attachBtfId).toBe(
      kernelBtf().findIds('btf_trace_sys_enter', 'typedef')[0],
    );
    expect(load(BpfProgType.TRACING, BpfAttachType.TRACE_ITER, 'task').attachBtfId).toBe(
      funcId('bpf_iter_task'),
    );
    expect(btfTargetFor(BpfProgType.TRACING, BpfAttachType.MODIFY_RETURN, 'x')).toEqual({
      name: 'x',
      kind: 'func',
    });
    expect(() => load(BpfProgType.TRACING, BpfAttachType.TRACE_FENTRY, 'no_such_function_here')).toThrow(
      /no func named 'no_such_function_here'/,
    );
    const flags = prepareLoad({ type: BpfProgType.TRACING, sleepable: true, instructions: returns(0) }).attr;
    expect(flags.progFlags).toBe(16);
  });

  it('builds the link attrs of fentry/fexit/lsm/freplace and kprobe_multi', () => {
    expect(tracingLinkAttr(5, BpfProgType.TRACING, BpfAttachType.TRACE_FEXIT, { cookie: 7n })).toEqual({
      progFd: 5,
      targetFd: 0,
      attachType: BpfAttachType.TRACE_FEXIT,
      tracingCookie: 7n,
    });
    expect(tracingLinkAttr(5, BpfProgType.LSM, undefined)).toMatchObject({
      attachType: BpfAttachType.LSM_MAC,
    });
    expect(tracingLinkAttr(5, BpfProgType.EXT, undefined, { targetBtfId: 42 })).toEqual({
      progFd: 5,
      targetFd: 0,
      attachType: 0,
      targetBtfId: 42,
    });
    expect(() => tracingLinkAttr(5, BpfProgType.TRACING, undefined)).toThrow(/expected attach type/);
    const km = kprobeMultiAttr(3, { symbols: ['a', 'b'], cookies: [1, 2], retprobe: true });
    expect(km).toMatchObject({ progFd: 3, targetFd: 0, attachType: BpfAttachType.TRACE_KPROBE_MULTI });
    expect(km.kprobeMulti).toMatchObject({
      flags: 1,
      syms: ['a', 'b'],
      cookies: BigUint64Array.from([1n, 2n]),
    });
    expect(() => kprobeMultiAttr(3, {})).toThrow(BpfArgumentError);
  });

  it('encodes the kprobe perf_event_attr and the tracefs kprobe_events line', () => {
    const name = new Uint8Array(16);
    const bytes = encodePerfEventAttr(kprobePerfAttr(8, '__x64_sys_getpid', 4, true, 0), name);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(v.getUint32(0, true)).toBe(8); // type: the kprobe PMU
    expect(v.getUint32(4, true)).toBe(128); // size
    expect(v.getBigUint64(8, true)).toBe(1n); // config: retprobe bit
    expect(v.getBigUint64(16, true)).toBe(1n); // sample_period
    expect(v.getBigUint64(56, true)).not.toBe(0n); // config1: pointer to the name
    expect(v.getBigUint64(64, true)).toBe(4n); // config2: offset
    expect(kprobeEventLine('ev', 'do_sys_open', 0, false)).toBe('p:ts_ebpf/ev do_sys_open');
    expect(kprobeEventLine('ev', 'do_sys_open', 8, true, 16)).toBe('r16:ts_ebpf/ev do_sys_open+8');
  });

  it('tp_btf counts sys_enter through a BTF-typed raw tracepoint link', () => {
    using c = new Counter();
    using p = Program.load({
      type: BpfProgType.TRACING,
      expectedAttachType: BpfAttachType.TRACE_RAW_TP,
      attachTo: 'sys_enter',
      instructions: c.code(),
    });
    {
      using _link = attachTpBtf(p);
      // tp_btf attaches through a raw tracepoint link (the tracing link type is fentry/fexit/lsm's).
      expect(_link.info()).toMatchObject({
        type: 'raw_tracepoint',
        tracepoint: 'sys_enter',
        progId: p.info().id,
      });
      for (let i = 0; i < 5; i++) getpid();
      expect(c.value).toBeGreaterThanOrEqual(5n);
    }
    const after = c.value;
    for (let i = 0; i < 5; i++) getpid();
    expect(c.value).toBe(after);
  });

  itIfSupported('kprobe counts getpid calls', kprobeUnsupportedReason(), () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.KPROBE, instructions: c.code() });
    {
      using _link = attachKprobe(p, { symbol: '__x64_sys_getpid' });
      for (let i = 0; i < 5; i++) getpid();
      expect(c.value).toBeGreaterThanOrEqual(5n);
    }
    using r = Program.load({ type: BpfProgType.KPROBE, instructions: c.code() });
    using _ret = attachKprobe(r, { symbol: '__x64_sys_getpid', retprobe: true });
    const before = c.value;
    getpid();
    expect(c.value).toBeGreaterThan(before);
  });

  itIfSupported('kprobe_multi counts getpid calls', kprobeUnsupportedReason(), () => {
    using c = new Counter();
    using p = Program.load({
      type: BpfProgType.KPROBE,
      expectedAttachType: BpfAttachType.TRACE_KPROBE_MULTI,
      instructions: c.code(),
    });
    using _link = attachKprobeMulti(p, { symbols: ['__x64_sys_getpid'] });
    for (let i = 0; i < 5; i++) getpid();
    expect(c.value).toBeGreaterThanOrEqual(5n);
  });

  for (const [kind, attachType, target] of [
    ['fentry', BpfAttachType.TRACE_FENTRY, 'bpf_fentry_test1'],
    ['fexit', BpfAttachType.TRACE_FEXIT, 'bpf_fentry_test1'],
  ] as const) {
    itIfSupported(`${kind} on ${target} counts test runs`, tracingUnsupportedReason(kind), () => {
      using c = new Counter();
      using p = Program.load({
        type: BpfProgType.TRACING,
        expectedAttachType: attachType,
        attachTo: target,
        instructions: c.code(),
      });
      using _link = attachTracing(p);
      p.testRun(); // BPF_PROG_TEST_RUN of a tracing program calls bpf_fentry_test1..8
      expect(c.value).toBeGreaterThanOrEqual(1n);
    });
  }

  itIfSupported('fmod_ret on bpf_modify_return_test attaches', tracingUnsupportedReason('fmod_ret'), () => {
    using c = new Counter();
    using p = Program.load({
      type: BpfProgType.TRACING,
      expectedAttachType: BpfAttachType.MODIFY_RETURN,
      attachTo: 'bpf_modify_return_test',
      instructions: c.code(),
    });
    using _link = attachTracing(p);
    expect(_link.isBpfLink).toBe(true);
  });

  itIfSupported('lsm on file_open counts opens', tracingUnsupportedReason('lsm'), () => {
    using c = new Counter();
    using p = Program.load({
      type: BpfProgType.LSM,
      expectedAttachType: BpfAttachType.LSM_MAC,
      attachTo: 'file_open',
      instructions: c.code(),
    });
    using _link = attachTracing(p);
    readFileSync('/proc/self/status');
    expect(c.value).toBeGreaterThanOrEqual(1n);
  });

  itIfSupported(
    'freplace replaces a global function of another program',
    tracingUnsupportedReason('freplace'),
    () => {
      const { target, replacement, funcId } = freplacePair();
      using _t = target;
      using r = replacement;
      using link = attachTracing(r, { targetProgram: target, targetBtfId: funcId });
      expect(link.isBpfLink).toBe(true);
      expect(target.testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    },
  );
});
