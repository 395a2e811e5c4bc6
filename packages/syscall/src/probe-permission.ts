import { BpfMapType, BpfProgType, EbpfError } from '@ts-ebpf/uapi';
import { BpfSyscallError } from './errors.js';
import { missingCapabilities } from './system.js';

// What a feature probe's trial needs of the caller, and the error for a trial refused for lack
// of it: lacking a privilege is not lacking the feature.

/** A capability a feature probe's trial may need. `CAP_SYS_ADMIN` stands for each (the kernel's `bpf_token_capable`). */
export type ProbeCapability = 'CAP_BPF' | 'CAP_PERFMON' | 'CAP_NET_ADMIN';

// Program types the kernel loads only for CAP_NET_ADMIN, and those only for CAP_PERFMON (or
// CAP_SYS_ADMIN), besides CAP_BPF (kernel/bpf/syscall.c, is_net_admin_prog_type and
// is_perfmon_prog_type).
const NET_ADMIN_PROGS: ReadonlySet<number> = new Set([
  BpfProgType.SCHED_CLS,
  BpfProgType.SCHED_ACT,
  BpfProgType.XDP,
  BpfProgType.LWT_IN,
  BpfProgType.LWT_OUT,
  BpfProgType.LWT_XMIT,
  BpfProgType.LWT_SEG6LOCAL,
  BpfProgType.SK_SKB,
  BpfProgType.SK_MSG,
  BpfProgType.FLOW_DISSECTOR,
  BpfProgType.CGROUP_DEVICE,
  BpfProgType.CGROUP_SOCK,
  BpfProgType.CGROUP_SOCK_ADDR,
  BpfProgType.CGROUP_SOCKOPT,
  BpfProgType.CGROUP_SYSCTL,
  BpfProgType.SOCK_OPS,
  BpfProgType.EXT,
  BpfProgType.NETFILTER,
]);
const PERFMON_PROGS: ReadonlySet<number> = new Set([
  BpfProgType.KPROBE,
  BpfProgType.TRACEPOINT,
  BpfProgType.PERF_EVENT,
  BpfProgType.RAW_TRACEPOINT,
  BpfProgType.RAW_TRACEPOINT_WRITABLE,
  BpfProgType.TRACING,
  BpfProgType.LSM,
  BpfProgType.STRUCT_OPS,
  BpfProgType.EXT,
]);
// Map types the kernel creates only for CAP_NET_ADMIN (kernel/bpf/syscall.c, map_create).
const NET_ADMIN_MAPS: ReadonlySet<number> = new Set([
  BpfMapType.SOCKMAP,
  BpfMapType.SOCKHASH,
  BpfMapType.DEVMAP,
  BpfMapType.DEVMAP_HASH,
  BpfMapType.XSKMAP,
]);

/**
 * What loading a probe program of `progType` needs: CAP_BPF (every program type, where
 * `kernel.unprivileged_bpf_disabled` is set as distributions set it), plus CAP_NET_ADMIN or
 * CAP_PERFMON for the types the kernel keeps for them.
 */
export function progTypeNeeds(progType: number): ProbeCapability[] {
  const needs: ProbeCapability[] = ['CAP_BPF'];
  if (PERFMON_PROGS.has(progType)) needs.push('CAP_PERFMON');
  if (NET_ADMIN_PROGS.has(progType)) needs.push('CAP_NET_ADMIN');
  return needs;
}

/** What creating a probe map of `mapType` needs: CAP_BPF, plus CAP_NET_ADMIN for socket and device maps. */
export function mapTypeNeeds(mapType: number): ProbeCapability[] {
  return NET_ADMIN_MAPS.has(mapType) ? ['CAP_BPF', 'CAP_NET_ADMIN'] : ['CAP_BPF'];
}

/**
 * A feature probe could not run: the kernel refused its trial with EPERM or EACCES while this
 * process lacks a capability the trial needs. Lacking the privilege is not lacking the feature,
 * so the probe throws this instead of answering `{ supported: false }`, and caches nothing: the
 * same probe in a process with the privilege answers. Names the probe and the missing
 * capabilities; `cause` is the refused system call's error (a `PermissionError`).
 */
export class ProbePermissionError extends EbpfError {
  /** The probe, with its argument (`probeProgType(XDP)`, `probeMapType(HASH)`). */
  readonly probe: string;
  /** The capabilities the trial needs that this process lacks (CAP_SYS_ADMIN would stand for each). */
  readonly missing: readonly ProbeCapability[];
  /** The errno name the kernel refused the trial with (`'EPERM'`, `'EACCES'`). */
  readonly code: string;

  /**
   * @param probe - the probe and its argument
   * @param missing - the capabilities the process lacks
   * @param error - the refused system call's error
   */
  constructor(probe: string, missing: readonly ProbeCapability[], error: BpfSyscallError) {
    const call = error.command ? `${error.syscall}(${error.command})` : error.syscall;
    super(
      `feature probe ${probe} could not run: ${call} was refused with ${error.code} and this process lacks ` +
        `${missing.join(' and ')} (or CAP_SYS_ADMIN); lacking the privilege says nothing about the feature: ` +
        'probe as a process that holds it',
      { cause: error },
    );
    this.name = 'ProbePermissionError';
    this.probe = probe;
    this.missing = missing;
    this.code = error.code;
  }
}

/** Errno names that mean "not permitted": EPERM and EACCES. */
const NOT_PERMITTED: ReadonlySet<string> = new Set(['EPERM', 'EACCES']);

/**
 * Throws a {@link ProbePermissionError} when `error` is a refusal for lack of privilege: an
 * EPERM or EACCES (or one of `codes`) while this process lacks one of `needs`. With every
 * capability held, such a refusal is the kernel's (lockdown, an LSM, a kernel that refuses the
 * feature to everyone, as some refuse arena maps) and the caller reports it as unsupported.
 */
export function throwIfUnprivileged(
  probe: string,
  needs: readonly ProbeCapability[],
  error: unknown,
  codes: ReadonlySet<string> = NOT_PERMITTED,
): void {
  if (!(error instanceof BpfSyscallError) || !codes.has(error.code)) return;
  const missing = missingCapabilities(needs);
  if (missing.length > 0) throw new ProbePermissionError(probe, missing, error);
}
