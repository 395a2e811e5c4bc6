import { Machine } from '@ts-ebpf/elf-reader';

/** `e_machine` of BPF objects. */
export const EM_BPF: number = Machine.BPF;

/** BPF relocation types. */
export const BpfReloc = {
  NONE: 0,
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  R_BPF_64_32: 10,
} as const;
