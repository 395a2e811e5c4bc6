import { readlinkSync } from 'node:fs';
import { describeKernel, returns } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  BpfMapType,
  BpfProgType,
  btfGetFdById,
  btfGetNextId,
  close,
  describeFdTarget,
  fdTarget,
  fileOpen,
  mapCreate,
  PerfSwConfig,
  PerfType,
  perfEventOpen,
  progLoad,
  rawTracepointOpen,
} from '../src/index.js';

/** What the kernel names `fd` (readlink /proc/self/fd/N), in words, closing it afterwards. */
function kindOf(fd: number): { target: string | undefined; words: string } {
  try {
    const target = fdTarget(fd);
    expect(target).toBe(readlinkSync(`/proc/self/fd/${fd}`));
    return { target, words: describeFdTarget(target!) };
  } finally {
    close(fd);
  }
}

describeKernel('fdTarget and describeFdTarget on real objects', () => {
  it("names each BPF object by the kernel's anon inode name", () => {
    expect(kindOf(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }))).toEqual(
      {
        target: 'anon_inode:bpf-map',
        words: 'map',
      },
    );
    const prog = progLoad({ progType: BpfProgType.RAW_TRACEPOINT, insns: returns(0) });
    try {
      // The kernel names a link file "bpf_link" (underscore), unlike "bpf-map" and "bpf-prog".
      expect(kindOf(rawTracepointOpen('sys_enter', prog))).toEqual({
        target: 'anon_inode:bpf_link',
        words: 'link',
      });
      expect(kindOf(prog)).toEqual({ target: 'anon_inode:bpf-prog', words: 'program' });
    } catch (e) {
      close(prog);
      throw e;
    }
    expect(kindOf(btfGetFdById(btfGetNextId(0)!))).toEqual({ target: 'anon_inode:btf', words: 'BTF object' });
    const perf = perfEventOpen(
      { type: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, samplePeriod: 1_000_000 },
      0,
      -1,
    );
    expect(kindOf(perf)).toEqual({ target: 'anon_inode:[perf_event]', words: 'perf event' });
  });

  it('names a file by its path and a closed fd as undefined', () => {
    const fd = fileOpen('/proc/self/stat');
    expect(kindOf(fd).words).toMatch(/^file \(\/proc\/\d+\/stat\)$/);
    expect(fdTarget(fd)).toBeUndefined();
  });
});
