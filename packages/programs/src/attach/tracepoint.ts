import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  BpfArgumentError,
  ensureTracefs,
  onlineCpus,
  type PerfEventAttr,
  PerfSample,
  PerfType,
  rawTracepointOpen,
} from '@ts-ebpf/syscall';
import { closestName } from '@ts-ebpf/uapi';
import { AttachError, TracepointNotFoundError } from '../errors.js';
import { Link, noProgramSwap } from '../link.js';
import type { Program } from '../program.js';
import { isErrno } from './check.js';
import { requireAttachKind } from './kinds.js';
import { openAndAttach, type PerfAttachOptions } from './perf-link.js';

/** The most programs one tracepoint runs (kernel/trace/bpf_trace.c). */
const BPF_TRACE_MAX_PROGS = 64;

const TRACEPOINT_NAME = /^[\w.-]+$/;

function checkName(what: string, value: string): void {
  if (TRACEPOINT_NAME.test(value) && value !== '.' && value !== '..') return;
  const pathLike = value.includes('/')
    ? `; give the category and the event separately ('${value.split('/')[0]}', '${value.split('/').slice(1).join('/')}')`
    : '';
  throw new BpfArgumentError(
    `tracepoint ${what}`,
    `'${value}' is not a tracepoint ${what}: only letters, digits, '_', '.' and '-'${pathLike}`,
  );
}

/** The names in a tracefs directory, or none when it cannot be read. */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The `category/event` closest to a misspelt one: the nearest event of the category when it
 * exists, else the nearest category with the event, when one is near enough to be a misspelling.
 */
function nearestTracepoint(
  events: string,
  category: string,
  name: string,
  categoryExists: boolean,
): string | undefined {
  if (categoryExists) {
    const event = closestName(name, entries(`${events}/${category}`));
    return event === undefined ? undefined : `${category}/${event}`;
  }
  const near = closestName(category, entries(events));
  if (near === undefined) return undefined;
  return existsSync(`${events}/${near}/${name}`) ? `${near}/${name}` : undefined;
}

/**
 * The perf id of a tracepoint (`<tracefs>/events/<category>/<name>/id`).
 * @throws BpfArgumentError for a name that is not one (a path, white space …)
 * @throws TracepointNotFoundError when tracefs has no such category or event
 */
export function tracepointId(category: string, name: string): number {
  checkName('category', category);
  checkName('name', name);
  const tracefs = ensureTracefs();
  try {
    return Number(readFileSync(`${tracefs}/events/${category}/${name}/id`, 'utf8').trim());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AttachError(`tracepoint ${category}/${name}`, `cannot read its id from tracefs`, {
        cause: e,
      });
    const categoryDir = `${tracefs}/events/${category}`;
    const categoryExists = existsSync(categoryDir);
    throw new TracepointNotFoundError(category, name, categoryExists, {
      cause: e,
      path: categoryExists ? `${categoryDir}/${name}` : categoryDir,
      nearest: nearestTracepoint(`${tracefs}/events`, category, name, categoryExists),
    });
  }
}

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions extends PerfAttachOptions {
  /** Only this process (default -1: every process; the program runs for all of them anyway). */
  readonly pid?: number;
}

/**
 * Attaches a `BPF_PROG_TYPE_TRACEPOINT` program to `category/name`
 * (e.g. `syscalls`, `sys_enter_getpid`) through a perf event and a bpf_link.
 * A tracepoint runs a program at most once: attach a second `Program` (load it again) to run the
 * same code twice.
 * @throws TracepointNotFoundError when tracefs does not list the tracepoint
 * @throws AttachError naming the tracepoint for a program of another type; for a program attached
 *   to it already, by a link still open (the kernel's EEXIST: close the first link, or load the
 *   program a second time); for a tracepoint with 64 programs attached (E2BIG)
 */
export function attachTracepoint(
  program: Program,
  category: string,
  name: string,
  o: TracepointOptions = {},
): Link {
  const where = `tracepoint ${category}/${name}`;
  requireAttachKind('tracepoint', program, where);
  const attr: PerfEventAttr = {
    type: PerfType.TRACEPOINT,
    config: tracepointId(category, name),
    samplePeriod: 1,
    sampleType: PerfSample.RAW,
    wakeupEvents: 1,
  };
  const pid = o.pid ?? -1;
  try {
    return openAndAttach('tracepoint', program, attr, pid, pid === -1 ? 0 : -1, o, where);
  } catch (e) {
    if (isErrno(e, 'E2BIG'))
      throw new AttachError(
        where,
        `it already has ${BPF_TRACE_MAX_PROGS} BPF programs attached, the kernel's limit for one tracepoint (BPF_TRACE_MAX_PROGS)`,
        { cause: e },
      );
    throw e;
  }
}

/** Attaches a `BPF_PROG_TYPE_RAW_TRACEPOINT` program to a raw tracepoint (`sys_enter`, `sched_switch`). */
export function attachRawTracepoint(program: Program, name: string, cookie?: bigint | number): Link {
  const where = `raw tracepoint '${name}'`;
  requireAttachKind('raw_tracepoint', program, where);
  try {
    return new Link({
      kind: 'raw_tracepoint',
      fd: rawTracepointOpen(name, program.fd, cookie),
      fixedProgram: noProgramSwap('a raw tracepoint'),
    });
  } catch (e) {
    if (isErrno(e, 'ENOENT'))
      throw new AttachError(where, 'the kernel has no tracepoint of that name', { cause: e });
    throw e;
  }
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
  requireAttachKind('perf_event', program);
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
