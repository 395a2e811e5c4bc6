import type { HelperSignature } from '@ts-ebpf/uapi';

/** A BPF helper function: its id, name (without the `bpf_` prefix) and C signature. */
export type HelperInfo = HelperSignature;
