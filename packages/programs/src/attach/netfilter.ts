import { BpfAttachType, BpfProgType, linkCreate } from '@ts-ebpf/syscall';
import { BpfNetfilterFlag } from '@ts-ebpf/uapi';
import { Link } from '../link.js';
import type { Program } from '../program.js';
import { requireProgramType } from './check.js';

/** Protocol families (`NFPROTO_*`). */
export const NfProto = { INET: 1, IPV4: 2, ARP: 3, NETDEV: 5, BRIDGE: 7, IPV6: 10 } as const;

/** IPv4/IPv6 hooks (`NF_INET_*`). */
export const NfInetHook = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;

/** Verdicts a netfilter program returns. */
export const NfVerdict = { DROP: 0, ACCEPT: 1 } as const;

/** Options of {@link attachNetfilter}. */
export interface NetfilterOptions {
  /** `NfProto.*` (default IPV4). */
  readonly pf?: number;
  /** `NfInetHook.*`. */
  readonly hook: number;
  /** Hook priority (not INT_MIN or INT_MAX); lower runs first. Default 0. */
  readonly priority?: number;
  /** Defragment IP packets before the program sees them. */
  readonly defrag?: boolean;
}

/**
 * Attaches a `BPF_PROG_TYPE_NETFILTER` program to a netfilter hook of the calling thread's
 * network namespace (use `inNetns` for another one) through a bpf_link.
 */
export function attachNetfilter(program: Program, o: NetfilterOptions): Link {
  const hook = Object.entries(NfInetHook).find(([, n]) => n === o.hook)?.[0] ?? String(o.hook);
  requireProgramType(program, `netfilter hook ${hook}`, [BpfProgType.NETFILTER]);
  const fd = linkCreate({
    progFd: program.fd,
    targetFd: 0,
    attachType: BpfAttachType.NETFILTER,
    netfilter: {
      pf: o.pf ?? NfProto.IPV4,
      hooknum: o.hook,
      priority: o.priority ?? 0,
      flags: o.defrag ? BpfNetfilterFlag.IP_DEFRAG : 0,
    },
  });
  return new Link({ kind: 'netfilter', fd });
}
