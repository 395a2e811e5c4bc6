import { ioctl, PerfIoctl } from '@ts-ebpf/syscall';

/** One CPU's perf event, as pausing its output needs it. */
export interface PausableRing {
  readonly fd: { readonly fd: number };
}

/**
 * Pauses (or resumes) the output of every ring's perf event: `PERF_EVENT_IOC_PAUSE_OUTPUT` with 1
 * (or 0). While paused, the kernel writes nothing to the ring: each sample a program outputs is
 * dropped (`bpf_perf_event_output` fails with `-ENOSPC`) and counted as lost, and the count is
 * written as a `PERF_RECORD_LOST` record ahead of the first sample output after the resume
 * (kernel/events/ring_buffer.c, `__perf_output_begin`).
 */
export function pauseOutput(rings: readonly PausableRing[], paused: boolean): void {
  for (const r of rings) ioctl(r.fd.fd, PerfIoctl.PAUSE_OUTPUT, paused ? 1 : 0);
}
