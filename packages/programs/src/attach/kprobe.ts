import { existsSync } from 'node:fs';
import {
  BpfArgumentError,
  BpfAttachType,
  BpfSyscallError,
  ensureTracefs,
  type LinkCreateAttr,
  linkCreate,
  type PerfEventAttr,
  perfEventOpen,
} from '@ts-ebpf/syscall';
import { BpfKprobeMultiFlag } from '@ts-ebpf/uapi';
import { ProbeUnsupportedError } from '../errors.js';
import { Link, noProgramSwap } from '../link.js';
import type { Program } from '../program.js';
import { requireAttachKind } from './kinds.js';
import { attachToPerfEvent, type PerfAttachOptions } from './perf-link.js';
import { attachProbeEvent, PROBE_EVENT_GROUP, probeEventName } from './probe-events.js';
import { pmuType, retprobeBit } from './uprobe.js';

/** Options of {@link attachKprobe}. */
export interface KprobeOptions extends PerfAttachOptions {
  /** Kernel function (or symbol) to probe. */
  readonly symbol: string;
  /** Bytes into the function. */
  readonly offset?: number;
  /** A kretprobe. */
  readonly retprobe?: boolean;
  /** kretprobe `maxactive` (tracefs path only). */
  readonly maxActive?: number;
  /** `'pmu'`, `'tracefs'`, or `'auto'` (default: PMU, else tracefs). */
  readonly via?: 'pmu' | 'tracefs' | 'auto';
}

/** The perf_event_attr of a kprobe PMU event (exported for tests of what is sent). */
export function kprobePerfAttr(
  pmu: number,
  symbol: string,
  offset: number,
  retprobe: boolean,
  retBit = 0,
): PerfEventAttr {
  return {
    type: pmu,
    config: retprobe ? 1n << BigInt(retBit) : 0n,
    probeName: symbol,
    config2: offset,
    samplePeriod: 1,
    wakeupEvents: 1,
  };
}

/** The line written to `kprobe_events` to create a probe: `p:ts_ebpf/<event> sym+off`. */
export function kprobeEventLine(
  event: string,
  symbol: string,
  offset: number,
  retprobe: boolean,
  maxActive?: number,
): string {
  const kind = retprobe ? `r${maxActive ?? ''}` : 'p';
  return `${kind}:${PROBE_EVENT_GROUP}/${event} ${symbol}${offset ? `+${offset}` : ''}`;
}

/** Why kprobes cannot be attached here, or undefined when they can. */
export function kprobeUnsupportedReason(): string | undefined {
  if (pmuType('kprobe') !== undefined) return undefined;
  let tracefs: string;
  try {
    tracefs = ensureTracefs();
  } catch (e) {
    return `no kprobe PMU and no tracefs (${(e as Error).message})`;
  }
  if (existsSync(`${tracefs}/kprobe_events`)) return undefined;
  return 'no kprobe PMU (/sys/bus/event_source/devices/kprobe) and no tracefs kprobe_events: kernel built without CONFIG_KPROBES';
}

/**
 * Attaches a `kprobe` program to a kernel function entry (or return) through the kprobe
 * PMU, or through tracefs `kprobe_events` on kernels without it.
 */
export function attachKprobe(program: Program, o: KprobeOptions): Link {
  const kind = o.retprobe ? 'kretprobe' : 'kprobe';
  const where = `${kind} on ${o.symbol}`;
  requireAttachKind('kprobe', program, where);
  const pmu = pmuType('kprobe');
  const via = o.via ?? 'auto';
  if (pmu !== undefined && via !== 'tracefs') {
    const attr = kprobePerfAttr(pmu, o.symbol, o.offset ?? 0, o.retprobe ?? false, retprobeBit('kprobe'));
    return attachToPerfEvent(kind, program, perfEventOpen(attr, -1, 0), o, where);
  }
  const reason = kprobeUnsupportedReason();
  if (reason) throw new ProbeUnsupportedError(kind, `cannot attach to ${o.symbol}: ${reason}`);
  const event = probeEventName(o.symbol);
  const line = kprobeEventLine(event, o.symbol, o.offset ?? 0, o.retprobe ?? false, o.maxActive);
  return attachProbeEvent(kind, 'kprobe_events', event, line, program, -1, o);
}

/** Options of {@link attachKprobeMulti}. */
export interface KprobeMultiOptions {
  /** Kernel symbols … */
  readonly symbols?: readonly string[];
  /** … or addresses. */
  readonly addresses?: readonly bigint[];
  /** Per-function cookies (bpf_get_attach_cookie). */
  readonly cookies?: readonly (bigint | number)[];
  /** kretprobes instead of kprobes. */
  readonly retprobe?: boolean;
  /**
   * A session link (`TRACE_KPROBE_SESSION`, kernel 6.10+): the program, loaded with that expected
   * attach type, runs at entry and at return. Default false: a `TRACE_KPROBE_MULTI` link.
   */
  readonly session?: boolean;
}

/** The BPF_LINK_CREATE attr of a kprobe_multi link (exported for tests of what is sent). */
export function kprobeMultiAttr(progFd: number, o: KprobeMultiOptions): LinkCreateAttr {
  if (!o.symbols?.length && !o.addresses?.length)
    throw new BpfArgumentError('kprobe_multi options', 'give symbols or addresses (both are empty)');
  return {
    progFd,
    targetFd: 0,
    attachType: o.session ? BpfAttachType.TRACE_KPROBE_SESSION : BpfAttachType.TRACE_KPROBE_MULTI,
    kprobeMulti: {
      flags: o.retprobe ? BpfKprobeMultiFlag.RETURN : 0,
      ...(o.symbols?.length && { syms: [...o.symbols] }),
      ...(o.addresses?.length && { addrs: BigUint64Array.from(o.addresses) }),
      ...(o.cookies && { cookies: BigUint64Array.from(o.cookies.map(BigInt)) }),
    },
  };
}

/**
 * Attaches a `kprobe` program loaded with expected attach type `TRACE_KPROBE_MULTI` to
 * many kernel functions through one bpf_link (kernel 5.18+, CONFIG_FPROBE).
 */
export function attachKprobeMulti(program: Program, o: KprobeMultiOptions): Link {
  requireAttachKind('kprobe_multi', program);
  const attr = kprobeMultiAttr(program.fd, o);
  try {
    return new Link({
      kind: 'kprobe_multi',
      fd: linkCreate(attr),
      fixedProgram: noProgramSwap('a kprobe_multi'),
    });
  } catch (e) {
    // EOPNOTSUPP: a kernel without CONFIG_FPROBE (or kprobes) has no kprobe_multi links.
    if (e instanceof BpfSyscallError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUPP')) {
      const what = o.symbols?.length ? o.symbols.slice(0, 3).join(', ') : `${o.addresses?.length} addresses`;
      throw new ProbeUnsupportedError(
        'kprobe_multi',
        `cannot attach to ${what}: the kernel has no fprobe (CONFIG_FPROBE)`,
        { cause: e },
      );
    }
    throw e;
  }
}
