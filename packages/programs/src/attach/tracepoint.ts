import { readFileSync } from 'node:fs';
import {
  ensureTracefs,
  onlineCpus,
  type PerfEventAttr,
  PerfSample,
  PerfType,
  rawTracepointOpen,
} from '@ts-ebpf/syscall';
import { Link } from '../link.js';
import type { Program } from '../program.js';
import { openAndAttach, type PerfAttachOptions } from './perf-link.js';

/** The perf id of a tracepoint (`<tracefs>/events/<category>/<name>/id`). */
export function tracepointId(category: string, name: string): number {
  if (!/^[\w.-]+$/.test(category) || !/^[\w.-]+$/.test(name)) {
    throw new TypeError(`bad tracepoint name ${category}/${name}`);
  }
  const tracefs = ensureTracefs();
  return Number(readFileSync(`${tracefs}/events/${category}/${name}/id`, 'utf8').trim());
}

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions extends PerfAttachOptions {
  /** Only this process (default -1: every process; the program runs for all of them anyway). */
  readonly pid?: number;
}

/**
 * Attaches a `BPF_PROG_TYPE_TRACEPOINT` program to `category/name`
 * (e.g. `syscalls`, `sys_enter_getpid`) through a perf event and a bpf_link.
 */
export function attachTracepoint(
  program: Program,
  category: string,
  name: string,
  o: TracepointOptions = {},
): Link {
  const attr: PerfEventAttr = {
    type: PerfType.TRACEPOINT,
    config: tracepointId(category, name),
    samplePeriod: 1,
    sampleType: PerfSample.RAW,
    wakeupEvents: 1,
  };
  const pid = o.pid ?? -1;
  return openAndAttach('tracepoint', program, attr, pid, pid === -1 ? 0 : -1, o);
}

/** Attaches a `BPF_PROG_TYPE_RAW_TRACEPOINT` program to a raw tracepoint (`sys_enter`, `sched_switch`). */
export function attachRawTracepoint(program: Program, name: string, cookie?: bigint | number): Link {
  return new Link({ kind: 'raw_tracepoint', fd: rawTracepointOpen(name, program.fd, cookie) });
}

/** Options of {@link attachPerfEvent}. */
export interface PerfEventOptions extends PerfAttachOptions {
  /** `PerfType.*` (default SOFTWARE). */
  readonly type?: number;
  /** Event config (default `PerfSwConfig.CPU_CLOCK`). */
  readonly config?: bigint | number;
  /** Sample every N events … */
  readonly samplePeriod?: bigint | number;
  /** … or N times a second. */
  readonly sampleFrequency?: number;
  /** CPUs to sample on (default: every online CPU). */
  readonly cpus?: readonly number[];
  /** Only this process (default -1: all). */
  readonly pid?: number;
}

/**
 * Attaches a `BPF_PROG_TYPE_PERF_EVENT` program to a sampling perf event on every
 * online CPU (or the given ones). The Link groups one link per CPU.
 */
export function attachPerfEvent(program: Program, o: PerfEventOptions = {}): Link {
  const attr: PerfEventAttr = {
    type: o.type ?? PerfType.SOFTWARE,
    config: o.config ?? 0,
    ...(o.sampleFrequency !== undefined
      ? { samplePeriod: o.sampleFrequency, freq: true }
      : { samplePeriod: o.samplePeriod ?? 100_000 }),
  };
  const children: Link[] = [];
  try {
    for (const cpu of o.cpus ?? onlineCpus()) {
      children.push(openAndAttach('perf_event', program, attr, o.pid ?? -1, cpu, o));
    }
  } catch (e) {
    for (const c of children) c.close();
    throw e;
  }
  return new Link({ kind: 'perf_event', children });
}
