import {
  AttachError,
  type AttachKind,
  attachCgroup,
  attachIter,
  attachKprobe,
  attachKprobeMulti,
  attachNetfilter,
  attachNetkit,
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
  attachUprobeMulti,
  attachXdp,
  BpfAttachType,
  InterfaceNotFoundError,
  type Link,
  NotAProgramError,
  ProbeUnsupportedError,
  type Program,
  resolveUprobePath,
  type TcDirection,
  TracepointNotFoundError,
} from '@ts-ebpf/programs';
import { BpfArgumentError, BpfSyscallError } from '@ts-ebpf/syscall';
import type { EbpfError } from '@ts-ebpf/uapi';
import { kernelFunctionsMatching, syscallFunction, userFunctionsMatching } from './attach-symbols.js';
import { type AttachTargets, ITER_NEEDS_PARAMETERS, need, type Option } from './attach-targets.js';
import type { ProgramSpec } from './collection-spec.js';
import { AttachOptionsError, SectionAttachError } from './errors.js';
import { freplaceAttach } from './program-target.js';
import { requireSectionKind } from './section-kind.js';

/** A uprobe section's `<path>:<function>`, the path taken from the targets when the section has none. */
function splitUprobeTarget(
  target: string | undefined,
  targets: AttachTargets,
  spec: ProgramSpec,
): { path: string; fn: string } {
  const t = target ?? '';
  const colon = t.lastIndexOf(':');
  if (colon >= 0) return { path: t.slice(0, colon), fn: t.slice(colon + 1) };
  return { path: need(targets, 'uprobePath', spec), fn: t };
}

function splitProbe(target: string, spec: ProgramSpec): { symbol: string; offset: number } {
  const m = /^([^+]+)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(target);
  if (!m)
    throw new SectionAttachError(
      spec.name,
      spec.section,
      `cannot read probe target '${target}' as <function>[+<offset>]`,
    );
  return { symbol: m[1]!, offset: m[2] ? Number(m[2]) : 0 };
}

/**
 * The error `e` from attaching `spec`'s program, naming the program and its section: the same
 * class for programs' typed errors and the kernel's `BpfSyscallError`s (PermissionError …),
 * {@link AttachOptionsError} for an interface name programs refuses. `cause` is `e`.
 */
function inProgram(e: unknown, spec: ProgramSpec, option: Option | undefined): unknown {
  const cause = { cause: e };
  let wrapped: EbpfError | undefined;
  if (e instanceof InterfaceNotFoundError) wrapped = new InterfaceNotFoundError(e.interface, cause);
  else if (e instanceof TracepointNotFoundError)
    wrapped = new TracepointNotFoundError(e.category, e.event, true, cause);
  else if (e instanceof AttachError) wrapped = new AttachError(e.target, e.message, cause);
  else if (e instanceof ProbeUnsupportedError) wrapped = new ProbeUnsupportedError(e.kind, undefined, cause);
  else if (e instanceof NotAProgramError) wrapped = new NotAProgramError(e.subject, e.actual, cause);
  else if (e instanceof BpfSyscallError) {
    const SyscallError = e.constructor as typeof BpfSyscallError;
    const { syscall, command, log, logTrueSize } = e;
    wrapped = new SyscallError(e.errno, { syscall, command, log, logTrueSize }, cause);
  } else if (e instanceof BpfArgumentError && option === 'interface')
    return new AttachOptionsError(spec.name, spec.section, option, e.message, cause);
  if (!wrapped) return e;
  wrapped.message = `program ${spec.name} (section ${spec.section}): ${(e as Error).message}`;
  return wrapped;
}

/**
 * Attaches a program the way its section name says, like a libbpf skeleton's
 * auto-attach: `tracepoint/syscalls/sys_enter_getpid`, `raw_tp/sys_enter`,
 * `kprobe/do_unlinkat`, `uprobe//usr/bin/bash:readline`, `xdp` (with an interface) …
 * @throws SectionAttachError when the section has no attach convention or its target cannot be read
 * @throws AttachOptionsError when an option the section needs is missing or of the wrong kind
 * @throws InterfaceNotFoundError, TracepointNotFoundError, AttachError … (from `@ts-ebpf/programs`),
 *   and the kernel's `BpfSyscallError`s, naming the program and its section, with the original
 *   error as `cause`
 */
export function attachBySection(program: Program, spec: ProgramSpec, targets: AttachTargets = {}): Link {
  return planSectionAttach(spec, targets)(program);
}

/** A program's attach by its section, checked: given the loaded program, attaches it. */
export type SectionAttach = (program: Program) => Link;

/**
 * @internal The attach of `spec`'s program by its section, with everything checked that can be
 * before the kernel is asked: the section's convention and target, the options it needs from
 * `targets` (present and of the right kind), the functions a glob or a binary names. Errors of
 * either step name the program and its section, as {@link attachBySection}'s do.
 * @throws SectionAttachError, AttachOptionsError … what {@link attachBySection} throws before it
 * attaches
 */
export function planSectionAttach(spec: ProgramSpec, targets: AttachTargets = {}): SectionAttach {
  const prefix = spec.section.split('/')[0]!;
  const option = OPTION_OF[prefix];
  let attach: SectionAttach;
  try {
    attach = attachByPrefix(spec, targets, prefix);
  } catch (e) {
    throw inProgram(e, spec, option);
  }
  return (program) => {
    try {
      return attach(program);
    } catch (e) {
      throw inProgram(e, spec, option);
    }
  };
}

/** The option whose value a section type resolves (for the errors of that step). */
const OPTION_OF: Record<string, Option> = {
  xdp: 'interface',
  'xdp.frags': 'interface',
  tc: 'interface',
  tcx: 'interface',
  netkit: 'interface',
  cgroup: 'cgroup',
  lsm_cgroup: 'cgroup',
  cgroup_skb: 'cgroup',
  sockops: 'cgroup',
  sk_lookup: 'netns',
  flow_dissector: 'netns',
};

/** XDP programs that devmap / cpumap entries run (`xdp/devmap`, `xdp.frags/cpumap` …). */
const MAP_RUN_XDP: ReadonlySet<number> = new Set([BpfAttachType.XDP_DEVMAP, BpfAttachType.XDP_CPUMAP]);
/** The tcx direction of `tc/ingress`, `tcx/egress` … by expected attach type. */
const TCX_DIRECTION = new Map<number, TcDirection>([
  [BpfAttachType.TCX_INGRESS, 'ingress'],
  [BpfAttachType.TCX_EGRESS, 'egress'],
]);

function attachByPrefix(spec: ProgramSpec, targets: AttachTargets, prefix: string): SectionAttach {
  const target = spec.sectionDef.target;
  const rest = (what: string): string => {
    if (target) return target;
    throw new SectionAttachError(spec.name, spec.section, `the section name does not say ${what}`);
  };
  // The attach function's kind (ATTACH_KINDS of @ts-ebpf/programs) is checked against the
  // program's type as it will be loaded, before anything is attached or loaded.
  const via = <A extends unknown[]>(
    kind: AttachKind,
    fn: (program: Program, ...args: A) => Link,
    ...args: A
  ): SectionAttach => {
    requireSectionKind(spec, kind);
    return (program) => fn(program, ...args);
  };
  switch (prefix) {
    case 'tracepoint':
    case 'tp': {
      const t = rest('a tracepoint (tracepoint/<category>/<name>)');
      const slash = t.indexOf('/');
      if (slash < 0)
        throw new SectionAttachError(spec.name, spec.section, 'expected tracepoint/<category>/<name>');
      return via('tracepoint', attachTracepoint, t.slice(0, slash), t.slice(slash + 1));
    }
    case 'raw_tracepoint':
    case 'raw_tp':
    case 'raw_tracepoint.w':
    case 'raw_tp.w':
      return via('raw_tracepoint', attachRawTracepoint, rest('a raw tracepoint name'));
    case 'tp_btf':
      return via('tp_btf', attachTpBtf);
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
    case 'fentry.s':
    case 'fexit.s':
    case 'fmod_ret.s':
    case 'fsession':
    case 'fsession.s':
    case 'lsm':
    case 'lsm.s':
      return via('tracing', attachTracing);
    case 'freplace':
      return freplaceAttach(spec);
    case 'ksyscall':
    case 'kretsyscall':
      // The kernel function behind the syscall: __<arch>_sys_<name> on kernels with syscall wrappers.
      return via('kprobe', attachKprobe, {
        symbol: syscallFunction(rest('a system call (ksyscall/<name>)')),
        retprobe: prefix === 'kretsyscall',
      });
    case 'kprobe.multi':
    case 'kretprobe.multi':
    case 'kprobe.session':
      return via('kprobe_multi', attachKprobeMulti, {
        symbols: kernelFunctionsMatching(rest(`kernel functions (${prefix}/<pattern>)`), spec),
        retprobe: prefix === 'kretprobe.multi',
        session: prefix === 'kprobe.session',
      });
    case 'netkit':
      return via(
        'netkit',
        attachNetkit,
        need(targets, 'interface', spec),
        spec.sectionDef.expectedAttachType === BpfAttachType.NETKIT_PEER ? 'peer' : 'primary',
      );
    case 'uprobe.multi':
    case 'uretprobe.multi':
    case 'uprobe.multi.s':
    case 'uretprobe.multi.s':
    case 'uprobe.session':
    case 'uprobe.session.s': {
      const given = splitUprobeTarget(target, targets, spec);
      // the file the pattern's functions are read from is the one the link probes
      const path = resolveUprobePath(given.path, undefined, `uprobe_multi on '${given.path}'`);
      const fn = given.fn;
      return via('uprobe_multi', attachUprobeMulti, {
        path,
        symbols: userFunctionsMatching(path, fn, spec),
        retprobe: prefix.startsWith('uretprobe'),
        session: prefix.startsWith('uprobe.session'),
      });
    }
    case 'kprobe':
    case 'kretprobe':
      return via('kprobe', attachKprobe, {
        ...splitProbe(rest('a kernel function'), spec),
        retprobe: prefix === 'kretprobe',
      });
    case 'uprobe':
    case 'uretprobe':
    case 'uprobe.s':
    case 'uretprobe.s': {
      const { path, fn } = splitUprobeTarget(target, targets, spec);
      return via('uprobe', attachUprobe, {
        path,
        ...splitProbe(fn, spec),
        retprobe: prefix.startsWith('uretprobe'),
      });
    }
    case 'iter':
    case 'iter.s':
      return via(
        'iter',
        attachIter,
        targets.iter === undefined && !ITER_NEEDS_PARAMETERS.has(spec.sectionDef.target ?? '')
          ? {}
          : need(targets, 'iter', spec),
      );
    case 'xdp':
    case 'xdp.frags':
      if (MAP_RUN_XDP.has(spec.sectionDef.expectedAttachType ?? -1))
        throw new SectionAttachError(
          spec.name,
          spec.section,
          'the program runs from devmap or cpumap entries, not on an interface: store its fd in the map values',
        );
      return via('xdp', attachXdp, need(targets, 'interface', spec));
    case 'tc':
    case 'tcx': {
      const direction = TCX_DIRECTION.get(spec.sectionDef.expectedAttachType ?? -1);
      if (!direction)
        throw new SectionAttachError(
          spec.name,
          spec.section,
          'the section does not say ingress or egress: name it tc/ingress or tc/egress (tcx links), ' +
            'or attach the program with attachTcx or attachTcClassic of @ts-ebpf/programs',
        );
      return via('tcx', attachTcx, need(targets, 'interface', spec), direction);
    }
    case 'cgroup':
    case 'cgroup_skb':
    case 'lsm_cgroup':
    case 'sockops':
      return via('cgroup', attachCgroup, need(targets, 'cgroup', spec));
    case 'sk_lookup':
    case 'flow_dissector':
      return via(
        'netns',
        attachNetns,
        targets.netns === undefined ? '/proc/self/ns/net' : need(targets, 'netns', spec),
      );
    case 'netfilter':
      return via('netfilter', attachNetfilter, need(targets, 'netfilter', spec));
    case 'sk_skb':
    case 'sk_msg':
      return via('sockmap', attachSockmap, need(targets, 'sockmap', spec));
    case 'socket':
      return via('socket_filter', attachSocketFilter, need(targets, 'socket', spec));
    case 'perf_event':
      return via('perf_event', attachPerfEvent, need(targets, 'perfEvent', spec));
    case 'usdt':
    case 'usdt.s':
      throw new SectionAttachError(
        spec.name,
        spec.section,
        "a USDT program reads its collection's spec maps: attach it with collection.attach() or collection.attachUsdt()",
      );
    default:
      throw new SectionAttachError(
        spec.name,
        spec.section,
        `section type '${prefix}' has no attach convention: attach the program with @ts-ebpf/programs`,
      );
  }
}
