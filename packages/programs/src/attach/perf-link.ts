import {
  BpfAttachType,
  BpfSyscallError,
  close,
  ioctl,
  linkCreate,
  type PerfEventAttr,
  PerfIoctl,
  perfEventOpen,
} from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { Link, noProgramSwap } from '../link.js';
import { attachTypeLabel, progTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { describeProgram, isErrno } from './check.js';
import { perfLinksSupported } from './link-support.js';

/** How a program is tied to a perf event. */
export interface PerfAttachOptions {
  /** BPF cookie the program reads with bpf_get_attach_cookie (bpf_link only). */
  readonly cookie?: bigint | number;
  /** Force the legacy PERF_EVENT_IOC_SET_BPF path instead of a bpf_link. */
  readonly legacy?: boolean;
}

/**
 * Attaches a program to an open perf event fd (which the returned Link takes over) through a
 * bpf_link (BPF_LINK_CREATE with BPF_PERF_EVENT), or, on a kernel without perf_event links
 * (before 5.15, decided by {@link perfLinksSupported}), through PERF_EVENT_IOC_SET_BPF + ENABLE.
 * @param target - the attach point as errors name it (`'tracepoint syscalls/sys_enter_getpid'`);
 *   default: the kind of perf event (`'a uprobe perf event'`)
 * @throws AttachError explaining the kernel's EINVAL for the link (the program does not fit the
 *   event), or for a cookie on a kernel without perf_event links; and its EEXIST, naming the
 *   program and `target`: the event runs this program already (a trace event runs a program once)
 */
export function attachToPerfEvent(
  kind: string,
  program: Program,
  perfFd: number,
  o: PerfAttachOptions = {},
  target: string = perfEventTarget(kind),
): Link {
  try {
    if (!o.legacy) {
      try {
        const fd = linkCreate({
          progFd: program.fd,
          targetFd: perfFd,
          attachType: BpfAttachType.PERF_EVENT,
          ...(o.cookie !== undefined && { perfEventCookie: o.cookie }),
        });
        return new Link({ kind, fd, extraFds: [perfFd], fixedProgram: noProgramSwap('a perf event') });
      } catch (e) {
        if (!isErrno(e, 'EINVAL')) throw e;
        if (perfLinksSupported())
          throw new AttachError(perfEventTarget(kind), perfLinkRefusal(program), { cause: e });
        if (o.cookie !== undefined)
          throw new AttachError(
            perfEventTarget(kind),
            'a cookie needs a perf_event link (BPF_LINK_CREATE with BPF_PERF_EVENT, kernel 5.15+), which this kernel does not make',
            { cause: e },
          );
      }
    }
    ioctl(perfFd, PerfIoctl.SET_BPF, program.fd);
    ioctl(perfFd, PerfIoctl.ENABLE, 0);
    return new Link({
      kind,
      extraFds: [perfFd],
      detach: () => ioctl(perfFd, PerfIoctl.DISABLE, 0),
    });
  } catch (e) {
    close(perfFd);
    throw isErrno(e, 'EEXIST') ? alreadyAttached(target, program, e) : e;
  }
}

/**
 * The kernel's EEXIST for a program attached to a perf event whose trace event runs it already:
 * a trace event (a tracepoint, or a kprobe or uprobe event shared through tracefs) keeps each
 * program at most once in its program array (kernel/trace/bpf_trace.c perf_event_attach_bpf_prog,
 * through bpf_prog_array_copy), whether attached through a link or PERF_EVENT_IOC_SET_BPF.
 */
function alreadyAttached(target: string, program: Program, cause: unknown): AttachError {
  const what = target.startsWith('tracepoint ') ? 'tracepoint' : 'trace event';
  return new AttachError(
    target,
    `${describeProgram(program)} is attached to it already (EEXIST): the kernel keeps a program at most once in a ${what}'s program array, so a program can be attached once per ${what}; close the first link, or load the program a second time to run it twice`,
    { cause },
  );
}

/** How the perf event of an attach of this `kind` appears in messages (`'a uprobe perf event'`). */
const perfEventTarget = (kind: string) =>
  kind === 'perf_event' ? 'a sampling perf event' : `a ${kind} perf event`;

/** Expected attach types whose programs attach only through their own link kind (kernel/bpf/syscall.c). */
const OWN_LINK_ONLY = new Set<number>([
  BpfAttachType.TRACE_KPROBE_MULTI,
  BpfAttachType.TRACE_KPROBE_SESSION,
  BpfAttachType.TRACE_UPROBE_MULTI,
  BpfAttachType.TRACE_UPROBE_SESSION,
]);

/**
 * Why a kernel with perf_event links refuses one with EINVAL: link_create's check of the
 * program's expected attach type, or kernel/events/core.c perf_event_set_bpf_prog's match of
 * the program to the event.
 */
function perfLinkRefusal(program: Program): string {
  const expected = program.expectedAttachType;
  if (expected !== undefined && OWN_LINK_ONLY.has(expected))
    return `the kernel refused the link (EINVAL): ${describeProgram(program)} was loaded with expected attach type ${attachTypeLabel(expected)}, whose programs attach only through their own link (attachKprobeMulti / attachUprobeMulti); load it without an expected attach type to attach it to a perf event`;
  return `the kernel refused the link (EINVAL): ${describeProgram(program)} (${progTypeLabel(program.type)}) does not fit this event: kprobe and uprobe events take kprobe programs, tracepoints take tracepoint programs, other perf events take perf_event programs, and only a uprobe takes a sleepable program`;
}

/**
 * Opens a perf event (close-on-exec) and attaches the program to it ({@link attachToPerfEvent},
 * errors naming `target`).
 */
export function openAndAttach(
  kind: string,
  program: Program,
  attr: PerfEventAttr,
  pid: number,
  cpu: number,
  o: PerfAttachOptions = {},
  target?: string,
): Link {
  let fd: number;
  try {
    fd = perfEventOpen(attr, pid, cpu);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'ESRCH')
      throw new AttachError(`${kind} for pid ${pid}`, `there is no process with pid ${pid}`, { cause: e });
    throw e;
  }
  return attachToPerfEvent(kind, program, fd, o, target);
}
