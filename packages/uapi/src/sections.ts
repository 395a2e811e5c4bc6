/**
 * libbpf's SEC() naming convention: which program type and expected attach type a section
 * name stands for. Facts of libbpf's convention, shared by the ELF loader and the DSL plugins.
 */
import { closestName } from './did-you-mean.js';
import { BpfAttachType as A, BpfProgType as P } from './generated/enums.generated.js';
import { UnknownNameError } from './names.js';

/** What a libbpf SEC() name says about the program in it. */
export interface SectionDef {
  /** The section name pattern (`kprobe+`: `kprobe` or `kprobe/<target>`). */
  pattern: string;
  /** The program type (`BpfProgType`). */
  progType: number;
  /** The expected attach type (`BpfAttachType`) the program is loaded with, if any. */
  expectedAttachType?: number;
  /** Loaded with BPF_F_SLEEPABLE. */
  sleepable?: boolean;
  /** XDP programs that accept multi-buffer packets (BPF_F_XDP_HAS_FRAGS). */
  xdpFrags?: boolean;
  /** Attach through a link at load-and-attach time (like a libbpf skeleton's auto-attach). */
  autoAttach?: boolean;
}

/** A section name resolved against {@link SECTION_DEFS}. */
export interface ResolvedSection extends SectionDef {
  /** The part after the prefix and `/`: function, tracepoint, symbol, struct member … */
  target: string | undefined;
}

const s = (
  pattern: string,
  progType: number,
  expectedAttachType?: number,
  extra: Partial<SectionDef> = {},
): SectionDef => ({
  pattern,
  progType,
  ...(expectedAttachType === undefined ? {} : { expectedAttachType }),
  ...extra,
});
const SLEEP = { sleepable: true };
const FRAGS = { xdpFrags: true };

/**
 * libbpf's SEC() conventions, in matching order (more specific names first): the table of
 * current libbpf (`section_defs` in libbpf.c, 1.7 with Linux 7.0's `fsession`), not 1.1's.
 * A trailing `+` accepts the bare name or `name/<target>`.
 */
export const SECTION_DEFS: readonly SectionDef[] = [
  s('socket', P.SOCKET_FILTER),
  s('sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE),
  s('sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT),
  s('kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI),
  s('kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI),
  s('kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION),
  s('uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, SLEEP),
  s('uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, SLEEP),
  s('uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI),
  s('uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI),
  s('uprobe.session.s+', P.KPROBE, A.TRACE_UPROBE_SESSION, SLEEP),
  s('uprobe.session+', P.KPROBE, A.TRACE_UPROBE_SESSION),
  s('kprobe+', P.KPROBE),
  s('kretprobe+', P.KPROBE),
  s('uprobe.s+', P.KPROBE, undefined, SLEEP),
  s('uretprobe.s+', P.KPROBE, undefined, SLEEP),
  s('uprobe+', P.KPROBE),
  s('uretprobe+', P.KPROBE),
  s('ksyscall+', P.KPROBE),
  s('kretsyscall+', P.KPROBE),
  s('usdt.s+', P.KPROBE, undefined, SLEEP),
  s('usdt+', P.KPROBE),
  s('tc/ingress', P.SCHED_CLS, A.TCX_INGRESS),
  s('tc/egress', P.SCHED_CLS, A.TCX_EGRESS),
  s('tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS),
  s('tcx/egress', P.SCHED_CLS, A.TCX_EGRESS),
  s('netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY),
  s('netkit/peer', P.SCHED_CLS, A.NETKIT_PEER),
  s('tc', P.SCHED_CLS),
  s('classifier', P.SCHED_CLS),
  s('action', P.SCHED_ACT),
  s('tracepoint+', P.TRACEPOINT),
  s('tp+', P.TRACEPOINT),
  s('raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE),
  s('raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE),
  s('raw_tracepoint+', P.RAW_TRACEPOINT),
  s('raw_tp+', P.RAW_TRACEPOINT),
  s('tp_btf+', P.TRACING, A.TRACE_RAW_TP),
  s('fentry.s+', P.TRACING, A.TRACE_FENTRY, SLEEP),
  s('fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, SLEEP),
  s('fexit.s+', P.TRACING, A.TRACE_FEXIT, SLEEP),
  s('fentry+', P.TRACING, A.TRACE_FENTRY),
  s('fmod_ret+', P.TRACING, A.MODIFY_RETURN),
  s('fexit+', P.TRACING, A.TRACE_FEXIT),
  s('fsession.s+', P.TRACING, A.TRACE_FSESSION, SLEEP),
  s('fsession+', P.TRACING, A.TRACE_FSESSION),
  s('freplace+', P.EXT),
  s('lsm.s+', P.LSM, A.LSM_MAC, SLEEP),
  s('lsm_cgroup+', P.LSM, A.LSM_CGROUP),
  s('lsm+', P.LSM, A.LSM_MAC),
  s('iter.s+', P.TRACING, A.TRACE_ITER, SLEEP),
  s('iter+', P.TRACING, A.TRACE_ITER),
  s('syscall', P.SYSCALL, undefined, SLEEP),
  s('xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, FRAGS),
  s('xdp/devmap', P.XDP, A.XDP_DEVMAP),
  s('xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, FRAGS),
  s('xdp/cpumap', P.XDP, A.XDP_CPUMAP),
  s('xdp.frags', P.XDP, A.XDP, FRAGS),
  s('xdp', P.XDP, A.XDP),
  s('perf_event', P.PERF_EVENT),
  s('lwt_in', P.LWT_IN),
  s('lwt_out', P.LWT_OUT),
  s('lwt_xmit', P.LWT_XMIT),
  s('lwt_seg6local', P.LWT_SEG6LOCAL),
  s('sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS),
  s('sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER),
  s('sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT),
  s('sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT),
  s('sk_skb', P.SK_SKB),
  s('sk_msg', P.SK_MSG, A.SK_MSG_VERDICT),
  s('lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2),
  s('flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR),
  s('cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS),
  s('cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS),
  s('cgroup/skb', P.CGROUP_SKB),
  s('cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  s('cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE),
  s('cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  s('cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND),
  s('cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND),
  s('cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND),
  s('cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND),
  s('cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT),
  s('cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT),
  s('cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT),
  s('cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG),
  s('cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG),
  s('cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG),
  s('cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG),
  s('cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG),
  s('cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG),
  s('cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME),
  s('cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME),
  s('cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME),
  s('cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME),
  s('cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME),
  s('cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME),
  s('cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL),
  s('cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT),
  s('cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT),
  s('cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE),
  s('struct_ops.s+', P.STRUCT_OPS, undefined, SLEEP),
  s('struct_ops+', P.STRUCT_OPS),
  s('sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP),
  s('netfilter', P.NETFILTER, A.NETFILTER),
];

// Each pattern split once: the bare name, and `name/` when a trailing `+` lets it take a target.
const MATCHERS = SECTION_DEFS.map((def) => {
  const open = def.pattern.endsWith('+');
  const prefix = open ? def.pattern.slice(0, -1) : def.pattern;
  return { def, prefix, withTarget: open ? `${prefix}/` : undefined };
});

/**
 * Resolves a section name (`kprobe/do_unlinkat`, `xdp`, `cgroup/connect4`) to
 * its program type, expected attach type, flags and target, or undefined when
 * no convention matches (data sections, `.text`, license …).
 */
export function resolveSection(name: string): ResolvedSection | undefined {
  for (const { def, prefix, withTarget } of MATCHERS) {
    if (name === prefix) return { ...def, target: undefined };
    if (withTarget !== undefined && name.startsWith(withTarget))
      return { ...def, target: name.slice(withTarget.length) };
  }
  return undefined;
}

/**
 * Like {@link resolveSection}, but a name that follows no convention throws
 * {@link UnknownNameError} naming it, with the nearest known section name.
 */
export function sectionDef(name: string): ResolvedSection {
  const found = resolveSection(name);
  if (found) return found;
  const stem = name.split('/')[0] ?? name;
  const names = MATCHERS.map((m) => m.prefix);
  throw new UnknownNameError('section name', name, closestName(stem, names));
}

/**
 * The section names libbpf gives programs of `progType`, in matching order: a pattern `p+`
 * gives `p` and `p/` (followed by a target), a fixed pattern gives itself.
 */
export function sectionNamesOf(progType: number): string[] {
  return MATCHERS.filter((m) => m.def.progType === progType).flatMap((m) =>
    m.withTarget === undefined ? [m.prefix] : [m.prefix, m.withTarget],
  );
}
