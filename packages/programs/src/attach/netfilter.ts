import { BpfArgumentError, BpfAttachType, linkCreate } from '@ts-ebpf/syscall';
import { BpfNetfilterFlag } from '@ts-ebpf/uapi';
import { Link, noProgramSwap } from '../link.js';
import type { Program } from '../program.js';
import { requireAttachKind } from './kinds.js';

/**
 * The protocol families (`NFPROTO_*` of include/uapi/linux/netfilter.h) a BPF netfilter link
 * takes: net/netfilter/nf_bpf_link.c bpf_nf_check_pf_and_hooks accepts IPV4 and IPV6 and
 * answers EAFNOSUPPORT for every other family (INET, ARP, NETDEV, BRIDGE …).
 */
export const NfProto = { IPV4: 2, IPV6: 10 } as const;

/** A protocol family a BPF netfilter link takes: `NfProto.IPV4` or `NfProto.IPV6`. */
export type NfProtoFamily = (typeof NfProto)[keyof typeof NfProto];

/** Every `NFPROTO_*` (include/uapi/linux/netfilter.h), to name a refused family in messages. */
const NFPROTO_NAMES: Readonly<Record<string, number>> = {
  NFPROTO_UNSPEC: 0,
  NFPROTO_INET: 1,
  NFPROTO_IPV4: 2,
  NFPROTO_ARP: 3,
  NFPROTO_NETDEV: 5,
  NFPROTO_BRIDGE: 7,
  NFPROTO_IPV6: 10,
};

/** IPv4/IPv6 hooks (`NF_INET_*`). */
export const NfInetHook = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;

/** Verdicts a netfilter program returns. */
export const NfVerdict = { DROP: 0, ACCEPT: 1 } as const;

/** Options of {@link attachNetfilter}. */
export interface NetfilterOptions {
  /** `NfProto.IPV4` (default) or `NfProto.IPV6`: the only families a BPF netfilter link takes. */
  readonly pf?: NfProtoFamily;
  /** `NfInetHook.*`. */
  readonly hook: number;
  /**
   * Hook priority: an integer strictly between INT_MIN and INT_MAX (those two are kept for
   * netfilter's own first and last hooks); lower runs first. With `defrag`, above -400
   * (NF_IP_PRI_CONNTRACK_DEFRAG), so the program runs after defragmentation. Default 0.
   */
  readonly priority?: number;
  /** Defragment IP packets before the program sees them (BPF_F_NETFILTER_IP_DEFRAG). */
  readonly defrag?: boolean;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
/** NF_IP_PRI_CONNTRACK_DEFRAG (the same for IPv6): a defrag link must run after it. */
const PRI_CONNTRACK_DEFRAG = -400;

const nameOf = (table: Readonly<Record<string, number>>, n: number) =>
  Object.entries(table).find(([, v]) => v === n)?.[0] ?? String(n);

/**
 * Refuses, before the kernel is asked, what net/netfilter/nf_bpf_link.c refuses with a bare
 * errno (EAFNOSUPPORT, EPROTO, ERANGE), and a priority that is no 32-bit integer.
 */
function checkNetfilterOptions(o: NetfilterOptions, pf: number, priority: number): void {
  if (pf !== NfProto.IPV4 && pf !== NfProto.IPV6) {
    const name = nameOf(NFPROTO_NAMES, pf);
    throw new BpfArgumentError(
      'netfilter pf',
      `protocol family ${name === String(pf) ? name : `${name} (${pf})`}: a BPF netfilter link takes only NfProto.IPV4 (2) or NfProto.IPV6 (10); the kernel answers EAFNOSUPPORT for any other family`,
    );
  }
  if (!Number.isInteger(o.hook) || o.hook < 0 || o.hook > NfInetHook.POST_ROUTING)
    throw new BpfArgumentError(
      'netfilter hook',
      `${o.hook} is not an NfInetHook (PRE_ROUTING 0 … POST_ROUTING ${NfInetHook.POST_ROUTING})`,
    );
  if (!Number.isInteger(priority) || priority <= INT_MIN || priority >= INT_MAX)
    throw new BpfArgumentError(
      'netfilter priority',
      `${priority} must be an integer strictly between INT_MIN (${INT_MIN}) and INT_MAX (${INT_MAX}): the kernel keeps those two for netfilter's first and last hooks (conntrack confirm)`,
    );
  if (o.defrag && priority <= PRI_CONNTRACK_DEFRAG)
    throw new BpfArgumentError(
      'netfilter priority',
      `${priority} with defrag: the program must run after IP defragmentation, at a priority above ${PRI_CONNTRACK_DEFRAG} (NF_IP_PRI_CONNTRACK_DEFRAG)`,
    );
}

/**
 * Attaches a `BPF_PROG_TYPE_NETFILTER` program to a netfilter hook of the calling thread's
 * network namespace (use `inNetns` for another one) through a bpf_link. The link cannot be
 * updated (the kernel has no program swap for netfilter links): attach the new program, then
 * close the old link.
 * @throws BpfArgumentError for a family, hook or priority the kernel refuses (named in the message)
 */
export function attachNetfilter(program: Program, o: NetfilterOptions): Link {
  requireAttachKind('netfilter', program, `netfilter hook ${nameOf(NfInetHook, o.hook)}`);
  const pf = o.pf ?? NfProto.IPV4;
  const priority = o.priority ?? 0;
  checkNetfilterOptions(o, pf, priority);
  const fd = linkCreate({
    progFd: program.fd,
    targetFd: 0,
    attachType: BpfAttachType.NETFILTER,
    netfilter: {
      pf,
      hooknum: o.hook,
      priority,
      flags: o.defrag ? BpfNetfilterFlag.IP_DEFRAG : 0,
    },
  });
  return new Link({
    kind: 'netfilter',
    fd,
    fixedProgram: noProgramSwap('a netfilter'),
  });
}
