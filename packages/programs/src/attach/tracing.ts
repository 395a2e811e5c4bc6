import {
  BpfArgumentError,
  BpfAttachType,
  BpfProgType,
  type LinkCreateAttr,
  linkCreate,
  rawTracepointOpen,
} from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { Link, noProgramSwap } from '../link.js';
import { attachTypeLabel, progTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { describeProgram, isErrno } from './check.js';
import { requireAttachKind } from './kinds.js';
import { tracingLinksSupported } from './link-support.js';

/** Options of {@link attachTracing}. */
export interface TracingAttachOptions {
  /** BPF cookie (fentry/fexit/fmod_ret/lsm/tp_btf links). */
  readonly cookie?: bigint | number;
  /** freplace: the program whose function is replaced … */
  readonly targetProgram?: Program;
  /** … and the BTF id of that function in its BTF (else the one given at load). */
  readonly targetBtfId?: number;
}

/**
 * The BPF_LINK_CREATE attr for a BTF-attached program: fentry, fexit, fmod_ret, tp_btf,
 * lsm or freplace (exported for tests of what is sent).
 */
export function tracingLinkAttr(
  progFd: number,
  progType: number,
  expectedAttachType: number | undefined,
  o: TracingAttachOptions = {},
): LinkCreateAttr {
  if (progType === BpfProgType.EXT) {
    return {
      progFd,
      targetFd: o.targetProgram?.fd ?? 0,
      attachType: 0,
      ...(o.targetBtfId !== undefined && { targetBtfId: o.targetBtfId }),
    };
  }
  const attachType = expectedAttachType ?? (progType === BpfProgType.LSM ? BpfAttachType.LSM_MAC : undefined);
  if (attachType === undefined) {
    throw new BpfArgumentError(
      'expectedAttachType',
      `a ${progTypeLabel(progType)} program needs an expected attach type (TRACE_FENTRY, TRACE_FEXIT, TRACE_RAW_TP …) given at load`,
    );
  }
  return {
    progFd,
    targetFd: 0,
    attachType,
    ...(o.cookie !== undefined && { tracingCookie: o.cookie }),
  };
}

/**
 * Attaches a program loaded with `attachTo` (fentry, fexit, fmod_ret, tp_btf, lsm) or an
 * freplace program through a bpf_link; on a kernel whose BPF_LINK_CREATE does not take TRACING
 * and LSM programs (decided by {@link tracingLinksSupported}), through BPF_RAW_TRACEPOINT_OPEN.
 * @throws AttachError explaining the kernel's EINVAL for the link of a TRACING or LSM program,
 *   or for a cookie on a kernel without tracing links
 */
export function attachTracing(program: Program, o: TracingAttachOptions = {}): Link {
  const where = describeTracingTarget(program);
  requireAttachKind('tracing', program, where);
  const attr = tracingLinkAttr(program.fd, program.type, program.expectedAttachType, o);
  try {
    return new Link({ kind: 'tracing', fd: linkCreate(attr), fixedProgram: noProgramSwap('a tracing') });
  } catch (e) {
    if (program.type === BpfProgType.EXT || !isErrno(e, 'EINVAL')) throw e;
    if (tracingLinksSupported()) throw new AttachError(where, tracingLinkRefusal(program), { cause: e });
    if (o.cookie !== undefined)
      throw new AttachError(
        where,
        'a cookie needs a tracing link (BPF_LINK_CREATE for TRACING and LSM programs), which this kernel does not make',
        { cause: e },
      );
    return new Link({
      kind: 'tracing',
      fd: rawTracepointOpen(null, program.fd),
      fixedProgram: noProgramSwap('a tracing'),
    });
  }
}

/**
 * Why a kernel with tracing links refuses one with EINVAL (kernel/bpf/syscall.c link_create and
 * the attach functions it calls: bpf_iter_link_attach, bpf_raw_tp_link_attach,
 * bpf_tracing_prog_attach).
 */
function tracingLinkRefusal(program: Program): string {
  const refused = `the kernel refused the link (EINVAL) of ${describeProgram(program)} (${progTypeLabel(program.type)}${
    program.expectedAttachType === undefined ? '' : `, ${attachTypeLabel(program.expectedAttachType)}`
  })`;
  if (program.expectedAttachType === BpfAttachType.TRACE_ITER)
    return `${refused}: an iterator is attached with attachIter, and a sleepable iterator only to a target that can reschedule (task, task_file, task_vma …)`;
  return `${refused}: the kernel makes no link of the program as it was loaded (its expected attach type and attach target)`;
}

/** How a BTF-attached program's target appears in messages. */
const describeTracingTarget = (program: Program) => `the BTF target of ${describeProgram(program)}`;

/** Attaches a `tp_btf` program (TRACING, expected attach type TRACE_RAW_TP, `attachTo` the tracepoint). */
export function attachTpBtf(program: Program, cookie?: bigint | number): Link {
  const where = describeTracingTarget(program);
  requireAttachKind('tp_btf', program, where);
  return attachTracing(program, cookie === undefined ? {} : { cookie });
}
