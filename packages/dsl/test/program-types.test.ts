import { BpfProgType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { ProgramType } from '../src/index.js';

describe('ProgramType', () => {
  it('is the one bpf_prog_type table of @ts-ebpf/uapi, not a copy', () => {
    expect(ProgramType).toBe(BpfProgType);
    expect(ProgramType.NETFILTER).toBe(32);
  });
});
