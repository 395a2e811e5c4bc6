import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';

/**
 * The expected attach type the kernel gives a program of these types loaded without one (0):
 * bpf_prog_load_fixup_attach_type in kernel/bpf/syscall.c. The program is then held to it as if
 * it had been given, so it is what the program records.
 */
const KERNEL_DEFAULT: ReadonlyMap<number, number> = new Map([
  [BpfProgType.CGROUP_SOCK, BpfAttachType.CGROUP_INET_SOCK_CREATE],
  [BpfProgType.SK_REUSEPORT, BpfAttachType.SK_REUSEPORT_SELECT],
]);

/**
 * The expected attach type a program of `progType` loaded with `given` has in the kernel: `given`,
 * or, where the kernel puts its own in place of none (undefined or 0), that one.
 */
export function effectiveExpectedAttachType(progType: number, given: number | undefined): number | undefined {
  return (!given && KERNEL_DEFAULT.get(progType)) || given;
}
