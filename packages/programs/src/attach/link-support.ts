import { BpfAttachType, BpfProgType, close, linkCreate } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';
import { Program } from '../program.js';
import { returnZero } from '../return-zero.js';
import { isErrno } from './check.js';

let perfLinks: boolean | undefined;

/**
 * Whether this kernel makes perf_event links (BPF_LINK_CREATE with attach type BPF_PERF_EVENT,
 * kernel 5.15+), the only case where attaching to a perf event may fall back to
 * PERF_EVENT_IOC_SET_BPF. Decided by asking for such a link to a file that is no perf event:
 * kernel/bpf/syscall.c link_create hands a tracepoint program to bpf_perf_link_attach, whose
 * perf_event_get answers EBADF for it, while a kernel without the link kind answers EINVAL
 * (link_create has no case for it, or, before 5.7, there is no BPF_LINK_CREATE). Any other
 * answer, or a failed trial load, is thrown. Cached.
 */
export function perfLinksSupported(): boolean {
  if (perfLinks !== undefined) return perfLinks;
  using trial = Program.load({ type: BpfProgType.TRACEPOINT, instructions: returnZero() });
  let fd: number;
  try {
    // The trial program's own fd: an open file, and no perf event.
    fd = linkCreate({ progFd: trial.fd, targetFd: trial.fd, attachType: BpfAttachType.PERF_EVENT });
  } catch (e) {
    if (!isErrno(e, 'EBADF', 'EINVAL')) throw e;
    perfLinks = e.code === 'EBADF';
    return perfLinks;
  }
  close(fd);
  throw new EbpfError(
    'BPF_LINK_CREATE made a perf_event link to a BPF program fd: cannot tell whether perf links exist',
  );
}

let tracingLinks: boolean | undefined;

/**
 * Whether BPF_LINK_CREATE attaches TRACING and LSM programs on this kernel (the case of
 * kernel/bpf/syscall.c link_create that sends tp_btf to bpf_raw_tp_link_attach and fentry,
 * fexit, fmod_ret and lsm to bpf_tracing_prog_attach, the functions BPF_RAW_TRACEPOINT_OPEN
 * calls too); without it link_create answers EINVAL and only BPF_RAW_TRACEPOINT_OPEN attaches
 * them. Decided by a trial: a trivial tp_btf program on the `sys_enter` raw tracepoint, linked
 * and closed at once. Its EINVAL means no; any other failure (of the load or the link) is
 * thrown. Cached.
 */
export function tracingLinksSupported(): boolean {
  if (tracingLinks !== undefined) return tracingLinks;
  using trial = Program.load({
    type: BpfProgType.TRACING,
    expectedAttachType: BpfAttachType.TRACE_RAW_TP,
    attachTo: 'sys_enter',
    instructions: returnZero(),
  });
  try {
    close(linkCreate({ progFd: trial.fd, targetFd: 0, attachType: BpfAttachType.TRACE_RAW_TP }));
    tracingLinks = true;
  } catch (e) {
    if (!isErrno(e, 'EINVAL')) throw e;
    tracingLinks = false;
  }
  return tracingLinks;
}
