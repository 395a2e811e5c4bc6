import { BpfProgType } from '@ts-ebpf/uapi';

/** `enum bpf_prog_type` values, keyed without `BPF_PROG_TYPE_`: `BpfProgType` of `@ts-ebpf/uapi`. */
export const ProgramType = BpfProgType;

/** A `bpf_prog_type` number. */
export type ProgramType = BpfProgType;
