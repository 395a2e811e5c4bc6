import {
  BpfAttachType,
  BpfProgType,
  BpfSyscallError,
  InvalidArgumentError,
  PerfSwConfig,
  PerfType,
} from '@ts-ebpf/syscall';
import { catalog, describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  AttachError,
  attachPerfEvent,
  attachTracepoint,
  attachTracing,
  attachUprobe,
  Program,
  perfLinksSupported,
  tracepointId,
  tracingLinksSupported,
} from '../src/index.js';
import { closeLink, loadProgram, returns, textOffset, withProgram } from './helpers.js';

/** The kernel's error inside an AttachError: BPF_LINK_CREATE's, not an older attach call's. */
function linkCreateCause(act: () => void): BpfSyscallError {
  const thrown = thrownBy(act);
  expect(thrown).toBeInstanceOf(AttachError);
  const cause = (thrown as AttachError).cause;
  expect(cause).toBeInstanceOf(BpfSyscallError);
  return cause as BpfSyscallError;
}

/** A uprobe_multi program (its own link kind only) given to attachUprobe, a perf event. */
const uprobeMultiOnUprobe = () =>
  withProgram(
    BpfProgType.KPROBE,
    (p) => closeLink(attachUprobe(p, { path: '/bin/true', offset: textOffset() })),
    { expectedAttachType: BpfAttachType.TRACE_UPROBE_MULTI, name: 'multi_only' },
  );

/** A sleepable iterator on the tcp target, which cannot reschedule, given to attachTracing. */
function sleepableTcpIterator(): void {
  using p = Program.load({
    type: BpfProgType.TRACING,
    expectedAttachType: BpfAttachType.TRACE_ITER,
    attachTo: 'bpf_iter_tcp',
    sleepable: true,
    name: 'sleepy_iter',
    instructions: returns(0),
  });
  closeLink(attachTracing(p));
}

/** A perf_event program on a tracepoint's perf event (tracepoints take tracepoint programs). */
const perfEventProgramOnTracepoint = () =>
  withProgram(
    BpfProgType.PERF_EVENT,
    (p) =>
      closeLink(
        attachPerfEvent(p, {
          type: PerfType.TRACEPOINT,
          config: tracepointId('syscalls', 'sys_enter_getpid'),
          cpus: [0],
        }),
      ),
    { name: 'sampler' },
  );

describeKernel(
  'programs: perf_event and tracing links, with the older attach calls only where the kernel lacks them',
  () => {
    it('this kernel makes perf_event links and tracing links (the probes that decide a fallback)', () => {
      expect(perfLinksSupported()).toBe(true);
      expect(tracingLinksSupported()).toBe(true);
    });

    catalog([
      {
        what: 'a uprobe_multi program on a plain uprobe (it fell back to PERF_EVENT_IOC_SET_BPF and reported the ioctl)',
        act: uprobeMultiOnUprobe,
        error: AttachError,
        names: [
          'uprobe perf event',
          "program 'multi_only'",
          'TRACE_UPROBE_MULTI',
          'attachUprobeMulti',
          'EINVAL',
        ],
        cause: InvalidArgumentError,
      },
      {
        what: 'a perf_event program on a tracepoint perf event (it fell back to the ioctl)',
        act: perfEventProgramOnTracepoint,
        error: AttachError,
        names: [
          'a sampling perf event',
          "program 'sampler'",
          'PERF_EVENT',
          'tracepoints take tracepoint programs',
        ],
        cause: InvalidArgumentError,
      },
      {
        what: 'a sleepable iterator on a target that cannot reschedule (it fell back to RAW_TRACEPOINT_OPEN: EPERM)',
        act: sleepableTcpIterator,
        error: AttachError,
        names: ["program 'sleepy_iter'", 'TRACE_ITER', 'attachIter', 'reschedule', 'EINVAL'],
        cause: InvalidArgumentError,
      },
    ]);

    it("the refusals carry BPF_LINK_CREATE's error, not the older call's", () => {
      for (const act of [uprobeMultiOnUprobe, perfEventProgramOnTracepoint, sleepableTcpIterator])
        expect(linkCreateCause(act)).toMatchObject({ command: 'BPF_LINK_CREATE', code: 'EINVAL' });
    });

    it('tracepoints, software perf events, uprobes and tp_btf still attach through bpf_links', () => {
      using tp = loadProgram(BpfProgType.TRACEPOINT);
      using tpLink = attachTracepoint(tp, 'syscalls', 'sys_enter_getpid');
      expect(tpLink.isBpfLink).toBe(true);
      expect(tpLink.info().type).toBe('perf_event');

      using sampler = loadProgram(BpfProgType.PERF_EVENT);
      using clock = attachPerfEvent(sampler, { config: PerfSwConfig.CPU_CLOCK, cpus: [0] });
      expect(clock.children.map((c) => c.info().type)).toEqual(['perf_event']);

      using probe = loadProgram(BpfProgType.KPROBE);
      using uprobe = attachUprobe(probe, { path: '/bin/true', offset: textOffset() });
      expect(uprobe.info().type).toBe('perf_event');

      using btf = Program.load({
        type: BpfProgType.TRACING,
        expectedAttachType: BpfAttachType.TRACE_RAW_TP,
        attachTo: 'sched_switch',
        instructions: returns(0),
      });
      using tracing = attachTracing(btf);
      expect(tracing.isBpfLink).toBe(true);
      expect(tracing.info().type).toBe('raw_tracepoint');
    });
  },
);
