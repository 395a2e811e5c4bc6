import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describe, expect, it } from 'vitest';
import { BtfTargetNotFoundError, resolveAttachBtfId } from '../src/index.js';

describe('resolveAttachBtfId', () => {
  it('names the target the BTF lacks', () => {
    const e = (() => {
      try {
        resolveAttachBtfId(BpfProgType.TRACING, BpfAttachType.TRACE_ITER, 'nope', () => []);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(BtfTargetNotFoundError);
    expect((e as Error).message).toContain("'bpf_iter_nope'");
  });

  it('turns an unreadable kernel BTF into a typed error with the cause', () => {
    const missing = Object.assign(new Error("ENOENT: no such file, open '/sys/kernel/btf/vmlinux'"), {
      code: 'ENOENT',
    });
    let thrown: unknown;
    try {
      resolveAttachBtfId(BpfProgType.LSM, undefined, 'file_open', () => {
        throw missing;
      });
    } catch (x) {
      thrown = x;
    }
    expect(thrown).toBeInstanceOf(BtfTargetNotFoundError);
    expect((thrown as Error).message).toMatch(/'bpf_lsm_file_open'.*CONFIG_DEBUG_INFO_BTF/);
    expect((thrown as Error).cause).toBe(missing);
  });
});
