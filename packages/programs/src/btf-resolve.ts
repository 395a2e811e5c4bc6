import { KERNEL_BTF_DIR, kernelBtf } from '@ts-ebpf/btf/kernel';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';

/** This machine's vmlinux BTF, parsed once (the one `@ts-ebpf/btf` shares with every package). */
export { kernelBtf };

/** The vmlinux BTF name and kind a program's `attachTo` refers to. */
export interface BtfTarget {
  /** The BTF type's name. */
  readonly name: string;
  /** Its BTF kind. */
  readonly kind: 'func' | 'typedef' | 'struct';
}

/**
 * Which BTF type `attachTo` names for a program type and expected attach type, following
 * libbpf: tp_btf → typedef `btf_trace_<name>`, iterators → func `bpf_iter_<name>`,
 * lsm → func `bpf_lsm_<name>`, fentry/fexit/fmod_ret → func `<name>`, struct_ops → struct.
 */
export function btfTargetFor(progType: number, attachType: number | undefined, name: string): BtfTarget {
  if (progType === BpfProgType.LSM) {
    return { name: name.startsWith('bpf_lsm_') ? name : `bpf_lsm_${name}`, kind: 'func' };
  }
  if (progType === BpfProgType.STRUCT_OPS) return { name, kind: 'struct' };
  if (attachType === BpfAttachType.TRACE_RAW_TP) {
    return { name: name.startsWith('btf_trace_') ? name : `btf_trace_${name}`, kind: 'typedef' };
  }
  if (attachType === BpfAttachType.TRACE_ITER) {
    return { name: name.startsWith('bpf_iter_') ? name : `bpf_iter_${name}`, kind: 'func' };
  }
  return { name, kind: 'func' };
}

/** A name that the kernel's BTF does not have. */
export class BtfTargetNotFoundError extends EbpfError {
  /** What was looked up. */
  readonly target: BtfTarget;
  /**
   * @param target - what was looked up; @param reason - why it is missing (default: not in vmlinux BTF)
   * @param options - `cause`: the error that explains it
   */
  constructor(target: BtfTarget, reason?: string, options?: ErrorOptions) {
    super(
      reason
        ? `cannot find ${target.kind} '${target.name}': ${reason}`
        : `no ${target.kind} named '${target.name}' in the kernel's BTF (${KERNEL_BTF_DIR}/vmlinux)`,
      options,
    );
    this.target = target;
  }
}

/**
 * Resolves `attachTo` to a vmlinux BTF type id. The one place programs asks BTF for an id;
 * `lookup` replaces the kernel BTF (tests, other BTF sources).
 */
export function resolveAttachBtfId(
  progType: number,
  attachType: number | undefined,
  name: string,
  lookup: (target: BtfTarget) => number[] = (t) => kernelBtf().findIds(t.name, t.kind),
): number {
  const target = btfTargetFor(progType, attachType, name);
  let ids: number[];
  try {
    ids = lookup(target);
  } catch (e) {
    if (e instanceof EbpfError) throw e;
    // The kernel BTF file is missing: a kernel built without CONFIG_DEBUG_INFO_BTF.
    throw new BtfTargetNotFoundError(
      target,
      `the kernel's BTF cannot be read (${(e as Error).message}); attachTo needs a kernel built with CONFIG_DEBUG_INFO_BTF`,
      { cause: e },
    );
  }
  if (ids.length === 0) throw new BtfTargetNotFoundError(target);
  return ids[0]!;
}
