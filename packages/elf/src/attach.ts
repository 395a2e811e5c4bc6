import {
  attachCgroup,
  attachIter,
  attachKprobe,
  attachNetfilter,
  attachNetns,
  attachPerfEvent,
  attachRawTracepoint,
  attachSocketFilter,
  attachSockmap,
  attachTcx,
  attachTpBtf,
  attachTracepoint,
  attachTracing,
  attachUprobe,
  attachXdp,
  type FdTarget,
  type Interface,
  type Link,
  type NetfilterOptions,
  type PerfEventOptions,
  type Program,
} from '@ts-ebpf/programs';
import type { ProgramSpec } from './collection-spec.js';
import { ElfError } from './errors.js';

/**
 * What programs that attach to something outside themselves need. Tracing
 * programs (tracepoints, raw tracepoints, tp_btf, fentry/fexit, lsm, kprobes,
 * uprobes with a `path:function` section, iterators) need nothing.
 */
export interface AttachTargets {
  /** xdp and tc/tcx programs: the interface name or index. */
  interface?: Interface;
  /** cgroup programs (cgroup/*, cgroup_skb/*, sockops): a cgroup directory or fd. */
  cgroup?: FdTarget;
  /** sk_lookup and flow_dissector programs: a netns path or fd (default: this thread's netns). */
  netns?: FdTarget;
  /** netfilter programs: the hook. */
  netfilter?: NetfilterOptions;
  /** sk_skb / sk_msg programs: the sockmap or sockhash. */
  sockmap?: { readonly fd: number };
  /** socket programs: the socket fd to filter. */
  socket?: number;
  /** perf_event programs: the event to sample. */
  perfEvent?: PerfEventOptions;
  /** uprobe sections without a `path:` part: the binary. */
  uprobePath?: string;
}

function need<T>(value: T | undefined, what: string, spec: ProgramSpec): T {
  if (value === undefined) {
    throw new ElfError(
      `program ${spec.name} (section ${spec.section}) attaches to ${what}: pass it in the attach targets`,
    );
  }
  return value;
}

function splitProbe(target: string): { symbol: string; offset: number } {
  const m = /^([^+]+)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(target);
  if (!m) throw new ElfError(`cannot parse probe target '${target}'`);
  return { symbol: m[1]!, offset: m[2] ? Number(m[2]) : 0 };
}

/**
 * Attaches a program the way its section name says, like a libbpf skeleton's
 * auto-attach: `tracepoint/syscalls/sys_enter_getpid`, `raw_tp/sys_enter`,
 * `kprobe/do_unlinkat`, `uprobe//usr/bin/bash:readline`, `xdp` (with an interface) …
 * @throws ElfError when the section has no attach convention or a target is missing
 */
export function attachBySection(program: Program, spec: ProgramSpec, targets: AttachTargets = {}): Link {
  const prefix = spec.section.split('/')[0]!;
  const target = spec.sectionDef.target;
  const rest = (what: string) => need(target, what, spec);
  switch (prefix) {
    case 'tracepoint':
    case 'tp': {
      const t = rest('a tracepoint (tracepoint/<category>/<name>)');
      const slash = t.indexOf('/');
      if (slash < 0) throw new ElfError(`${spec.section}: expected tracepoint/<category>/<name>`);
      return attachTracepoint(program, t.slice(0, slash), t.slice(slash + 1));
    }
    case 'raw_tracepoint':
    case 'raw_tp':
    case 'raw_tracepoint.w':
    case 'raw_tp.w':
      return attachRawTracepoint(program, rest('a raw tracepoint name'));
    case 'tp_btf':
      return attachTpBtf(program);
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
    case 'fentry.s':
    case 'fexit.s':
    case 'fmod_ret.s':
    case 'lsm':
    case 'lsm.s':
      return attachTracing(program);
    case 'kprobe':
    case 'kretprobe':
      return attachKprobe(program, {
        ...splitProbe(rest('a kernel function')),
        retprobe: prefix === 'kretprobe',
      });
    case 'uprobe':
    case 'uretprobe':
    case 'uprobe.s':
    case 'uretprobe.s': {
      const t = target ?? '';
      const colon = t.lastIndexOf(':');
      const path = colon >= 0 ? t.slice(0, colon) : need(targets.uprobePath, 'a binary (uprobePath)', spec);
      const fn = colon >= 0 ? t.slice(colon + 1) : t;
      return attachUprobe(program, { path, ...splitProbe(fn), retprobe: prefix.startsWith('uretprobe') });
    }
    case 'iter':
    case 'iter.s':
      return attachIter(program);
    case 'xdp':
    case 'xdp.frags':
      return attachXdp(program, need(targets.interface, 'an interface', spec));
    case 'tc':
    case 'tcx':
      return attachTcx(
        program,
        need(targets.interface, 'an interface', spec),
        spec.section.endsWith('egress') ? 'egress' : 'ingress',
      );
    case 'cgroup':
    case 'cgroup_skb':
    case 'sockops':
      return attachCgroup(program, need(targets.cgroup, 'a cgroup', spec));
    case 'sk_lookup':
    case 'flow_dissector':
      return attachNetns(program, targets.netns ?? '/proc/self/ns/net');
    case 'netfilter':
      return attachNetfilter(program, need(targets.netfilter, 'a netfilter hook', spec));
    case 'sk_skb':
    case 'sk_msg':
      return attachSockmap(program, need(targets.sockmap, 'a sockmap', spec));
    case 'socket':
      return attachSocketFilter(program, need(targets.socket, 'a socket', spec));
    case 'perf_event':
      return attachPerfEvent(program, need(targets.perfEvent, 'a perf event', spec));
    default:
      throw new ElfError(`program ${spec.name}: section ${spec.section} has no attach convention`);
  }
}
