import { BpfAttachType as A, BpfArgumentError, BpfProgType as P } from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { attachTypeLabel, progTypeLabel } from '../names.js';
import { CGROUP_ATTACH_PROGRAM, SOCKMAP_ATTACH_PROGRAM } from './attach-type-owner.js';
import { describeProgram } from './check.js';

/** What one attach function of this package takes. */
export interface AttachKindRule {
  /** The attach function (`'attachXdp'`). */
  readonly attachFunction: string;
  /** How messages name the attach point when no target is known yet (`'an XDP hook'`). */
  readonly target: string;
  /** The program types it attaches. */
  readonly programTypes: readonly number[];
  /**
   * By program type: the expected attach types a program of that type may have been loaded with
   * (besides none: `undefined`, or 0, the kernel's value for none). A program type missing here
   * attaches whatever it was loaded with.
   */
  readonly expectedAttachTypes: Readonly<Record<number, readonly number[]>>;
  /** Why the expected attach type matters here, added to the message that refuses one. */
  readonly expectedAttachHint?: string;
}

/** The attach types each program type of `owners` (attach type → program type) has. */
function byProgramType(owners: ReadonlyMap<number, number>): Record<number, readonly number[]> {
  const out: Record<number, readonly number[]> = {};
  for (const [attachType, progType] of owners) out[progType] = [...(out[progType] ?? []), attachType];
  return out;
}

const rule = (
  attachFunction: string,
  target: string,
  programTypes: readonly number[],
  expectedAttachTypes: Readonly<Record<number, readonly number[]>> = {},
  expectedAttachHint?: string,
): AttachKindRule =>
  Object.freeze({
    attachFunction,
    target,
    programTypes: Object.freeze([...programTypes]),
    expectedAttachTypes: Object.freeze(expectedAttachTypes),
    ...(expectedAttachHint !== undefined && { expectedAttachHint }),
  });

/**
 * Which program types (and, where they matter, which expected attach types) each attach function
 * of this package takes: the one table the attach functions check a program against before the
 * kernel is asked, and that a caller may check against before loading anything
 * ({@link attachKindAccepts}, {@link requireAttachKind}). Kinds are named after their functions:
 * `xdp` is {@link attachXdp}, `tc` is {@link attachTcClassic}, `netns` is {@link attachNetns} …
 */
export const ATTACH_KINDS = Object.freeze({
  xdp: rule(
    'attachXdp',
    'an XDP hook',
    [P.XDP],
    { [P.XDP]: [A.XDP] },
    'XDP_DEVMAP and XDP_CPUMAP programs run from devmap/cpumap entries, not on an interface',
  ),
  tcx: rule('attachTcx', 'a tcx hook', [P.SCHED_CLS]),
  tc: rule('attachTcClassic', 'a tc (clsact) hook', [P.SCHED_CLS, P.SCHED_ACT]),
  netkit: rule('attachNetkit', 'a netkit device', [P.SCHED_CLS]),
  cgroup: rule(
    'attachCgroup',
    'a cgroup',
    [...new Set(CGROUP_ATTACH_PROGRAM.values())],
    byProgramType(CGROUP_ATTACH_PROGRAM),
  ),
  netns: rule('attachNetns', 'a network namespace', [P.SK_LOOKUP, P.FLOW_DISSECTOR], {
    [P.SK_LOOKUP]: [A.SK_LOOKUP],
    [P.FLOW_DISSECTOR]: [A.FLOW_DISSECTOR],
  }),
  sockmap: rule('attachSockmap', 'a sockmap', [P.SK_MSG, P.SK_SKB], byProgramType(SOCKMAP_ATTACH_PROGRAM)),
  socket_filter: rule('attachSocketFilter', 'a socket', [P.SOCKET_FILTER]),
  netfilter: rule('attachNetfilter', 'a netfilter hook', [P.NETFILTER]),
  tracepoint: rule('attachTracepoint', 'a tracepoint', [P.TRACEPOINT]),
  raw_tracepoint: rule('attachRawTracepoint', 'a raw tracepoint', [
    P.RAW_TRACEPOINT,
    P.RAW_TRACEPOINT_WRITABLE,
  ]),
  perf_event: rule('attachPerfEvent', 'a sampling perf event', [P.PERF_EVENT]),
  // A kprobe program loaded for a multi or session link is refused by the kernel on a perf event;
  // the perf link's refusal explains it (naming the attach function to use), so it is not listed.
  kprobe: rule('attachKprobe', 'a kprobe', [P.KPROBE]),
  kprobe_multi: rule('attachKprobeMulti', 'a kprobe_multi link', [P.KPROBE], {
    [P.KPROBE]: [A.TRACE_KPROBE_MULTI, A.TRACE_KPROBE_SESSION],
  }),
  uprobe: rule('attachUprobe', 'a uprobe', [P.KPROBE]),
  uprobe_multi: rule('attachUprobeMulti', 'a uprobe_multi link', [P.KPROBE], {
    [P.KPROBE]: [A.TRACE_UPROBE_MULTI, A.TRACE_UPROBE_SESSION],
  }),
  tracing: rule('attachTracing', 'a BTF target', [P.TRACING, P.LSM, P.EXT]),
  tp_btf: rule(
    'attachTpBtf',
    'a BTF tracepoint',
    [P.TRACING],
    { [P.TRACING]: [A.TRACE_RAW_TP] },
    'attach other tracing programs with attachTracing',
  ),
  iter: rule(
    'attachIter',
    'an iterator',
    [P.TRACING],
    { [P.TRACING]: [A.TRACE_ITER] },
    'an iterator is loaded with expectedAttachType TRACE_ITER and attachTo the target',
  ),
} as const satisfies Record<string, AttachKindRule>);

/** An attach function of this package, by the name {@link ATTACH_KINDS} gives it. */
export type AttachKind = keyof typeof ATTACH_KINDS;

/**
 * A program as the attach check sees it: a loaded `Program`, or the options a program is about
 * to be loaded with.
 */
export interface AttachCandidate {
  /** The program's name, for messages. */
  readonly name?: string | undefined;
  /** `BpfProgType`. */
  readonly type: number;
  /** `BpfAttachType` it was (or will be) loaded with; undefined or 0: none. */
  readonly expectedAttachType?: number | undefined;
}

function ruleOf(kind: AttachKind): AttachKindRule {
  const found = Object.hasOwn(ATTACH_KINDS, kind) ? ATTACH_KINDS[kind] : undefined;
  if (!found)
    throw new BpfArgumentError(
      'attach kind',
      `'${String(kind)}' is not an attach kind (${Object.keys(ATTACH_KINDS).join(', ')})`,
    );
  return found;
}

/** The expected attach types `progType` may have for `kind`, or undefined when any will do. */
function allowedExpected(r: AttachKindRule, progType: number): readonly number[] | undefined {
  return Object.hasOwn(r.expectedAttachTypes, progType) ? r.expectedAttachTypes[progType] : undefined;
}

/**
 * True when the attach function of `kind` takes a program of `progType` loaded with
 * `expectedAttachType` (undefined or 0: none), as {@link ATTACH_KINDS} says.
 * @throws BpfArgumentError for a kind that is not one of {@link ATTACH_KINDS}
 */
export function attachKindAccepts(kind: AttachKind, progType: number, expectedAttachType?: number): boolean {
  const r = ruleOf(kind);
  if (!r.programTypes.includes(progType)) return false;
  const allowed = allowedExpected(r, progType);
  return !expectedAttachType || allowed === undefined || allowed.includes(expectedAttachType);
}

const orList = (names: readonly string[]) =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');

/**
 * Refuses, before the kernel is asked (and before a program is loaded, given the options it will
 * be loaded with), a program that the attach function of `kind` does not take.
 * @param target - how the message names the attach point (default: the kind's, `'a tcx hook'`)
 * @throws AttachError naming the target, the program, its type (and expected attach type) and
 *   the types the kind takes
 * @throws BpfArgumentError for a kind that is not one of {@link ATTACH_KINDS}
 */
export function requireAttachKind(kind: AttachKind, program: AttachCandidate, target?: string): void {
  const r = ruleOf(kind);
  const where = target ?? r.target;
  if (!r.programTypes.includes(program.type))
    throw new AttachError(
      where,
      `${describeProgram(program)} has type ${progTypeLabel(program.type)}; this attach point takes ${orList(r.programTypes.map(progTypeLabel))} programs`,
    );
  const eat = program.expectedAttachType;
  const allowed = allowedExpected(r, program.type);
  if (!eat || allowed === undefined || allowed.includes(eat)) return;
  throw new AttachError(
    where,
    `${describeProgram(program)} (${progTypeLabel(program.type)}) was loaded with expected attach type ${attachTypeLabel(eat)}; this attach point takes ${progTypeLabel(program.type)} programs loaded with expectedAttachType ${orList(allowed.map(attachTypeLabel))} or none${r.expectedAttachHint ? ` (${r.expectedAttachHint})` : ''}`,
  );
}
