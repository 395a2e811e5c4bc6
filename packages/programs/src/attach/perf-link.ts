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
import type { Program } from '../program.js';

/** How a program is tied to a perf event. */
export interface PerfAttachOptions {
  /** BPF cookie the program reads with bpf_get_attach_cookie (bpf_link only). */
  readonly cookie?: bigint | number;
  /** Force the legacy PERF_EVENT_IOC_SET_BPF path instead of a bpf_link. */
  readonly legacy?: boolean;
}

/**
 * Attaches a program to an open perf event fd (which the returned Link takes over):
 * through a bpf_link (BPF_LINK_CREATE with BPF_PERF_EVENT), falling back to
 * PERF_EVENT_IOC_SET_BPF + ENABLE on kernels without perf links.
 */
export function attachToPerfEvent(
  kind: string,
  program: Program,
  perfFd: number,
  o: PerfAttachOptions = {},
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
        // EINVAL: a kernel without perf_event links (< 5.15); fall back to the ioctl.
        if (!(e instanceof BpfSyscallError) || e.code !== 'EINVAL' || o.cookie !== undefined) throw e;
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
    throw e;
  }
}

/** Opens a perf event (close-on-exec) and attaches the program to it. */
export function openAndAttach(
  kind: string,
  program: Program,
  attr: PerfEventAttr,
  pid: number,
  cpu: number,
  o: PerfAttachOptions = {},
): Link {
  let fd: number;
  try {
    fd = perfEventOpen(attr, pid, cpu);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'ESRCH')
      throw new AttachError(`${kind} for pid ${pid}`, `there is no process with pid ${pid}`, { cause: e });
    throw e;
  }
  return attachToPerfEvent(kind, program, fd, o);
}
