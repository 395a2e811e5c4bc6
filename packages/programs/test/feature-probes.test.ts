import { readFileSync } from 'node:fs';
import { kernelVersion } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { bpfCookieSupported, syscallWrapperPresent } from '../src/index.js';

describeKernel('the feature probes behind libbpf’s virtual kconfig externs', () => {
  it('bpfCookieSupported: bpf_get_attach_cookie exists from Linux 5.15', () => {
    const { major, minor } = kernelVersion();
    expect(bpfCookieSupported()).toBe(major > 5 || (major === 5 && minor >= 15));
    expect(bpfCookieSupported()).toBe(bpfCookieSupported()); // cached, same answer
  });

  it.skipIf(process.arch !== 'x64')(
    'syscallWrapperPresent: the kernel symbol table has __x64_sys_bpf',
    () => {
      const has = / __x64_sys_bpf\n/.test(readFileSync('/proc/kallsyms', 'latin1'));
      // Linux 4.17+ on x86-64 always enters syscalls through pt_regs wrappers.
      expect(has).toBe(true);
      expect(syscallWrapperPresent()).toBe(true);
    },
  );
});
