import { execFileSync } from 'node:child_process';
import { BpfArgumentError, BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  AttachError,
  attachUprobe,
  attachUprobeMulti,
  ElfSymbols,
  type UprobeMultiOptions,
} from '../src/index.js';
import { Counter, closeLink, gccTarget, textOffset, withProgram } from './helpers.js';

/**
 * A USDT-style target: a 16-bit semaphore in the writable `.probes` section guards the call of
 * the probed function, as USDT probes guard the work of preparing their arguments.
 */
const SOURCE = `
#include <stdio.h>
volatile unsigned short ts_ebpf_semaphore __attribute__((section(".probes"))) = 0;
__attribute__((noinline)) int ts_ebpf_guarded(int x) { __asm__ volatile(""); return x + 1; }
int main(void) {
  int calls = 0;
  if (ts_ebpf_semaphore) calls = ts_ebpf_guarded(0);
  printf("%u %d\\n", ts_ebpf_semaphore, calls);
  return 0;
}
`;

const target = gccTarget(SOURCE, 'usdt');

/** Runs the target: its semaphore's value and how often it called the guarded function. */
const run = () => execFileSync(target.path, { encoding: 'utf8' }).trim();

/** Attaches a uprobe_multi program with the options `o` gives (when the test runs) and closes it. */
const attach = (o: () => UprobeMultiOptions) => () =>
  withProgram(BpfProgType.KPROBE, (p) => closeLink(attachUprobeMulti(p, o())), {
    expectedAttachType: BpfAttachType.TRACE_UPROBE_MULTI,
  });

const semaphore = () => ElfSymbols.open(target.path).symbolOffset('ts_ebpf_semaphore');

describeKernel('uprobe_multi with USDT semaphores (refCtrOffsets)', () => {
  it('the kernel raises the semaphore while the link exists, so the guarded probe runs', () => {
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE, { expectedAttachType: BpfAttachType.TRACE_UPROBE_MULTI });
    expect(run()).toBe('0 0');
    {
      using _plain = attachUprobeMulti(p, { path: target.path, symbols: ['ts_ebpf_guarded'] });
      expect(run()).toBe('0 0');
      expect(c.value).toBe(0n);
    }
    {
      using _counted = attachUprobeMulti(p, {
        path: target.path,
        symbols: ['ts_ebpf_guarded'],
        refCtrOffsets: [semaphore()],
      });
      expect(run()).toBe('1 1');
      expect(c.value).toBe(1n);
    }
    expect(run()).toBe('0 0');
  });

  it("a single uprobe's refCtrOffset raises the semaphore too", () => {
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE);
    {
      using _probe = attachUprobe(p, {
        path: target.path,
        symbol: 'ts_ebpf_guarded',
        refCtrOffset: Number(semaphore()),
      });
      expect(run()).toBe('1 1');
      expect(c.value).toBe(1n);
    }
    expect(run()).toBe('0 0');
  });

  catalog([
    {
      what: 'an odd refCtrOffset of a single uprobe (the kernel says EINVAL)',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(
            attachUprobe(p, {
              path: target.path,
              symbol: 'ts_ebpf_guarded',
              refCtrOffset: Number(semaphore()) + 1,
            }),
          ),
        ),
      error: AttachError,
      names: ['uprobe refCtrOffset', 'odd'],
    },
    {
      what: 'refCtrOffsets not one per probe (it was never sent)',
      act: attach(() => ({ path: target.path, symbols: ['ts_ebpf_guarded'], refCtrOffsets: [0, 0] })),
      error: BpfArgumentError,
      names: ['uprobe_multi refCtrOffsets', '2 given for 1 probes', 'one per probe'],
    },
    {
      what: 'a negative semaphore offset',
      act: attach(() => ({ path: target.path, symbols: ['ts_ebpf_guarded'], refCtrOffsets: [-2] })),
      error: BpfArgumentError,
      names: ['refCtrOffsets[0]', '-2'],
    },
    {
      what: 'an odd semaphore offset (the kernel says EINVAL)',
      act: attach(() => ({
        path: target.path,
        symbols: ['ts_ebpf_guarded'],
        refCtrOffsets: [semaphore() + 1n],
      })),
      error: AttachError,
      names: ['refCtrOffsets[0]', 'odd', 'even offset'],
    },
    {
      what: 'a semaphore offset in the code, not a writable segment (never counted)',
      act: attach(() => ({ path: '/bin/true', offsets: [textOffset()], refCtrOffsets: [textOffset()] })),
      error: AttachError,
      names: ['refCtrOffsets[0]', "'/bin/true'", 'writable segment'],
    },
    {
      what: 'a semaphore offset past the end of the file',
      act: attach(() => ({ path: target.path, symbols: ['ts_ebpf_guarded'], refCtrOffsets: [2 ** 40] })),
      error: AttachError,
      names: ['refCtrOffsets[0]', 'outside'],
    },
  ]);
});
