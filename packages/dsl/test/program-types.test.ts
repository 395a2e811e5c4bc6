import { BpfProgType, BpfProgTypeNewer } from '@ts-ebpf/syscall';
import { describe, expect, it } from 'vitest';
import { ProgramType } from '../src/index.js';

describe('ProgramType', () => {
  it('has every bpf_prog_type the syscall package knows, with the same numbers', () => {
    expect({ ...ProgramType }).toEqual({ ...BpfProgType, ...BpfProgTypeNewer });
  });
});
