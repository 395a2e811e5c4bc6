import { readFileSync } from 'node:fs';
import {
  attachKprobe,
  bpfCookieSupported,
  kprobeUnsupportedReason,
  ProbeUnsupportedError,
  syscallWrapperPresent,
} from '@ts-ebpf/programs';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KconfigError, loadCollection, readKernelConfig, VIRTUAL_KCONFIG } from '../src/index.js';
import { CorpusBuild } from './corpus/build.js';

let build: CorpusBuild;
let object: Buffer;
beforeAll(() => {
  build = new CorpusBuild();
  object = build.object('virtual-kconfig.bpf.c');
}, 120_000);
afterAll(() => build?.cleanup());

describeKernel('virtual kconfig externs', () => {
  it('probes both facts on this kernel, as their definitions say', () => {
    // Linux 6.18 on x86-64: syscalls enter through __x64_sys_*, and BPF cookies exist (5.15+).
    expect(readFileSync('/proc/kallsyms', 'latin1')).toMatch(/ __x64_sys_bpf\n/);
    expect(syscallWrapperPresent()).toBe(true);
    expect(bpfCookieSupported()).toBe(true);
    expect([...VIRTUAL_KCONFIG.keys()].sort()).toEqual(['LINUX_HAS_BPF_COOKIE', 'LINUX_HAS_SYSCALL_WRAPPER']);
  });

  it('fills LINUX_HAS_SYSCALL_WRAPPER and LINUX_HAS_BPF_COOKIE from the probes', () => {
    using c = loadCollection(object);
    expect(c.program('read_virtual').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(c.variable('has_wrapper').getBigInt()).toBe(1n);
    expect(c.variable('has_cookie').getBigInt()).toBe(1n);
  });

  it('keeps a value the caller sets in options.kconfig', () => {
    const config = new Map(readKernelConfig());
    config.set('LINUX_HAS_BPF_COOKIE', 'n');
    using c = loadCollection(object, { kconfig: config });
    c.program('read_virtual').testRun({ data: new Uint8Array(64) });
    expect(c.variable('has_cookie').getBigInt()).toBe(0n);
    expect(c.variable('has_wrapper').getBigInt()).toBe(1n);
  });

  it('refuses a virtual extern set to something that is not a bool', () => {
    const config = new Map([['LINUX_HAS_SYSCALL_WRAPPER', '3']]);
    expect(() => loadCollection(object, { kconfig: config })).toThrow(KconfigError);
  });

  it('loads the BPF_KSYSCALL program; attaching it fails only for want of kprobes, with the probe reason', () => {
    using c = loadCollection(object);
    const reason = kprobeUnsupportedReason();
    const attach = () => attachKprobe(c.program('on_kill'), { symbol: '__x64_sys_kill' });
    if (reason === undefined) {
      using _l = attach();
      return;
    }
    expect(attach).toThrow(ProbeUnsupportedError);
    expect(attach).toThrow(reason);
  });
});
