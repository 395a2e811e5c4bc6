import { BpfAttachType as A, BpfArgumentError, BpfProgType as P } from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { attachTypeLabel, progTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { describeProgram } from './check.js';

const group = (progType: number, attachTypes: readonly number[]) =>
  attachTypes.map((t) => [t, progType] as const);

/** The program type each cgroup attach type takes (attach_type_to_prog_type in kernel/bpf/syscall.c). */
export const CGROUP_ATTACH_PROGRAM: ReadonlyMap<number, number> = new Map([
  ...group(P.CGROUP_SKB, [A.CGROUP_INET_INGRESS, A.CGROUP_INET_EGRESS]),
  ...group(P.CGROUP_SOCK, [
    A.CGROUP_INET_SOCK_CREATE,
    A.CGROUP_INET_SOCK_RELEASE,
    A.CGROUP_INET4_POST_BIND,
    A.CGROUP_INET6_POST_BIND,
  ]),
  ...group(P.CGROUP_SOCK_ADDR, [
    A.CGROUP_INET4_BIND,
    A.CGROUP_INET6_BIND,
    A.CGROUP_INET4_CONNECT,
    A.CGROUP_INET6_CONNECT,
    A.CGROUP_UNIX_CONNECT,
    A.CGROUP_INET4_GETPEERNAME,
    A.CGROUP_INET6_GETPEERNAME,
    A.CGROUP_UNIX_GETPEERNAME,
    A.CGROUP_INET4_GETSOCKNAME,
    A.CGROUP_INET6_GETSOCKNAME,
    A.CGROUP_UNIX_GETSOCKNAME,
    A.CGROUP_UDP4_SENDMSG,
    A.CGROUP_UDP6_SENDMSG,
    A.CGROUP_UNIX_SENDMSG,
    A.CGROUP_UDP4_RECVMSG,
    A.CGROUP_UDP6_RECVMSG,
    A.CGROUP_UNIX_RECVMSG,
  ]),
  ...group(P.SOCK_OPS, [A.CGROUP_SOCK_OPS]),
  ...group(P.CGROUP_DEVICE, [A.CGROUP_DEVICE]),
  ...group(P.CGROUP_SYSCTL, [A.CGROUP_SYSCTL]),
  ...group(P.CGROUP_SOCKOPT, [A.CGROUP_GETSOCKOPT, A.CGROUP_SETSOCKOPT]),
  ...group(P.LSM, [A.LSM_CGROUP]),
]);

/** The program type each sockmap/sockhash attach type takes (the same kernel table). */
export const SOCKMAP_ATTACH_PROGRAM: ReadonlyMap<number, number> = new Map([
  ...group(P.SK_MSG, [A.SK_MSG_VERDICT]),
  ...group(P.SK_SKB, [A.SK_SKB_STREAM_PARSER, A.SK_SKB_STREAM_VERDICT, A.SK_SKB_VERDICT]),
]);

/**
 * Program types held to the attach type they were loaded for. The kernel holds CGROUP_SOCK,
 * CGROUP_SOCK_ADDR, CGROUP_SOCKOPT and LSM to it (bpf_prog_attach_check_attach_type in
 * kernel/bpf/syscall.c). It holds CGROUP_SKB to it only when the verifier saw an egress program
 * return 2 or 3 (enforce_expected_attach_type): an ingress program (expected attach type 0, the
 * same value as none) attaches at egress, and most egress programs at ingress, without an error.
 * We hold a CGROUP_SKB program loaded with an expected attach type to it as well: it was verified
 * for that direction, and was meant for it. The kernel never holds SK_SKB to it; we hold an SK_SKB
 * program loaded with one to it, since a stream parser returns a message length where a verdict
 * program returns SK_PASS or SK_DROP.
 */
const EXACT_ATTACH_TYPE: ReadonlySet<number> = new Set([
  P.CGROUP_SOCK,
  P.CGROUP_SOCK_ADDR,
  P.CGROUP_SOCKOPT,
  P.LSM,
  P.CGROUP_SKB,
  P.SK_SKB,
]);

/**
 * Refuses, before the kernel is asked (it answers a bare EINVAL, or attaches a cgroup_skb program
 * in the other direction), an attach type this attach point does not have, one that takes another
 * program type, or one other than the program's expected attach type where the program is held to it.
 * @param owners - the attach point's attach types, each with the program type it takes
 * @throws BpfArgumentError for an attach type the attach point does not have
 * @throws AttachError naming the target, the program, its type, both attach types and the fix
 */
export function requireAttachTypeFits(
  program: Program,
  target: string,
  attachType: number,
  owners: ReadonlyMap<number, number>,
): void {
  const owner = owners.get(attachType);
  if (owner === undefined)
    throw new BpfArgumentError(
      'attachType',
      `${attachTypeLabel(attachType)} is not an attach type of ${target}; it takes ${[...owners.keys()].map(attachTypeLabel).join(', ')}`,
    );
  const as = `${describeProgram(program)} (${progTypeLabel(program.type)}) cannot attach as ${attachTypeLabel(attachType)}`;
  if (owner !== program.type)
    throw new AttachError(target, `${as}: that attach type takes ${progTypeLabel(owner)} programs`);
  const expected = program.expectedAttachType;
  if (expected === undefined || expected === attachType || !EXACT_ATTACH_TYPE.has(program.type)) return;
  const loaded = `it was loaded with expected attach type ${attachTypeLabel(expected)}`;
  const reload = `load it with expectedAttachType ${attachTypeLabel(attachType)}, or without an expectedAttachType to attach it`;
  throw new AttachError(
    target,
    program.type === P.CGROUP_SKB
      ? `${as}: ${loaded}, so it was verified for the other direction (the kernel may well attach it without an error: it holds a cgroup_skb program to its expected attach type only when an egress program returns 2 or 3); ${reload} in either direction`
      : program.type === P.SK_SKB
        ? `${as}: ${loaded}, so it was built for that hook (the kernel would attach it without an error, but a stream parser returns a message length where a verdict program returns SK_PASS or SK_DROP); ${reload} as any sk_skb attach type`
        : `${as}: ${loaded}${
            program.type === P.CGROUP_SOCK && expected === A.CGROUP_INET_SOCK_CREATE
              ? ' (the one the kernel gives a cgroup_sock program loaded without one)'
              : ''
          }, and the kernel attaches ${progTypeLabel(program.type)} programs only as that one (load it with expectedAttachType ${attachTypeLabel(attachType)})`,
  );
}
