import { readFileSync } from 'node:fs';
import { BpfArgumentError, BpfAttachType, linkCreate, type PerfEventAttr } from '@ts-ebpf/syscall';
import { BpfUprobeMultiFlag } from '@ts-ebpf/uapi';
import { ElfSymbols } from '../elf-symbols.js';
import { AttachError, ProbeUnsupportedError } from '../errors.js';
import { Link, noProgramSwap } from '../link.js';
import { attachTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { describeProgram, isErrno, requireFile, requireProbeOffset, requireRefCtrOffset } from './check.js';
import { requireAttachKind } from './kinds.js';
import { openAndAttach, type PerfAttachOptions } from './perf-link.js';
import { attachProbeEvent, PROBE_EVENT_GROUP, probeEventName } from './probe-events.js';
import { resolveUprobePath } from './uprobe-path.js';

const PMU_DIR = '/sys/bus/event_source/devices';

/** The dynamic PMU type of `kprobe` or `uprobe`, or undefined when the kernel has none. */
export function pmuType(name: 'kprobe' | 'uprobe'): number | undefined {
  try {
    return Number(readFileSync(`${PMU_DIR}/${name}/type`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The config bit that makes a kprobe/uprobe PMU event a return probe (`format/retprobe`). */
export function retprobeBit(name: 'kprobe' | 'uprobe'): number {
  try {
    const m = /config:(\d+)/.exec(readFileSync(`${PMU_DIR}/${name}/format/retprobe`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Where to probe a user-space binary or library. */
export interface UprobeTarget {
  /**
   * Path of the executable or shared library; a bare name (no `/`) is looked up (in the process's
   * mapped files with a `pid`, else the library directories or `PATH`: see {@link resolveUprobePath}).
   */
  readonly path: string;
  /** A symbol, resolved to a file offset from the file's ELF symbol tables. */
  readonly symbol?: string;
  /** File offset (or, with `symbol`, bytes after the symbol). */
  readonly offset?: number | bigint;
}

/** Options of {@link attachUprobe}. */
export interface UprobeOptions extends UprobeTarget, PerfAttachOptions {
  /** A uretprobe: run when the function returns. */
  readonly retprobe?: boolean;
  /** Only in this process (default -1: every process that maps the file). */
  readonly pid?: number;
  /**
   * File offset of the probe's USDT semaphore (reference counter): the kernel increments the
   * 16-bit value there in each process while the probe is attached. Even, inside a writable
   * segment of the file; 0 or absent for none.
   */
  readonly refCtrOffset?: number;
  /** `'pmu'`, `'tracefs'` (uprobe_events), or `'auto'` (default: the PMU, else tracefs). */
  readonly via?: 'pmu' | 'tracefs' | 'auto';
}

/** The file offset a target names. */
export function uprobeOffset(t: UprobeTarget): bigint {
  const extra = BigInt(t.offset ?? 0);
  if (t.symbol === undefined) return extra;
  return (
    ElfSymbols.open(resolveUprobePath(t.path, undefined, `uprobe on '${t.path}'`)).symbolOffset(t.symbol) +
    extra
  );
}

/** The perf_event_attr of a uprobe PMU event (exported for tests of what is sent). */
export function uprobePerfAttr(
  pmu: number,
  path: string,
  offset: bigint,
  retprobe: boolean,
  refCtrOffset = 0,
): PerfEventAttr {
  let config = retprobe ? 1n << BigInt(retprobeBit('uprobe')) : 0n;
  if (refCtrOffset) config |= BigInt(refCtrOffset) << 32n;
  return { type: pmu, config, probeName: path, config2: offset, samplePeriod: 1, wakeupEvents: 1 };
}

/**
 * Attaches a `kprobe`-type program as a uprobe or uretprobe on a binary's function
 * (symbol → file offset from its ELF), for all processes or one pid.
 */
export function attachUprobe(program: Program, options: UprobeOptions): Link {
  const kind = options.retprobe ? 'uretprobe' : 'uprobe';
  const where = `${kind} on '${options.path}'`;
  requireAttachKind('uprobe', program, where);
  const o = { ...options, path: resolveUprobePath(options.path, options.pid, where) };
  requireFile(o.path, where);
  const pmu = pmuType('uprobe');
  const pid = o.pid ?? -1;
  const offset = uprobeOffset(o);
  requireProbeOffset(o.path, offset, where);
  const refCtrOffset =
    o.refCtrOffset === undefined
      ? undefined
      : Number(requireRefCtrOffset(o.path, o.refCtrOffset, 'uprobe refCtrOffset', where));
  if (pmu !== undefined && o.via !== 'tracefs') {
    const attr = uprobePerfAttr(pmu, o.path, offset, o.retprobe ?? false, refCtrOffset);
    return openAndAttach(kind, program, attr, pid, pid === -1 ? 0 : -1, o, where);
  }
  if (o.via === 'pmu') throw new ProbeUnsupportedError('uprobe', `no uprobe PMU in ${PMU_DIR}`);
  const event = probeEventName(`${o.symbol ?? 'uprobe'}`);
  const line = uprobeEventLine(event, o.path, offset, o.retprobe ?? false, refCtrOffset);
  return attachProbeEvent(kind, 'uprobe_events', event, line, program, pid, o);
}

/** The line written to `uprobe_events`: `p:ts_ebpf/<event> /path:0x<offset>[(0x<ref_ctr>)]`. */
export function uprobeEventLine(
  event: string,
  path: string,
  offset: bigint,
  retprobe: boolean,
  refCtrOffset?: number,
): string {
  if (/\s/.test(path))
    throw new BpfArgumentError('uprobe path', `uprobe_events cannot name a path with white space: '${path}'`);
  const ref = refCtrOffset ? `(0x${refCtrOffset.toString(16)})` : '';
  return `${retprobe ? 'r' : 'p'}:${PROBE_EVENT_GROUP}/${event} ${path}:0x${offset.toString(16)}${ref}`;
}

/** Runs the link create; the kernel's EINVAL, with the file and offsets checked, is the program's attach type. */
function explainUprobeMulti(
  program: Program,
  where: string,
  attachType: number,
  create: () => number,
): number {
  try {
    return create();
  } catch (e) {
    if (isErrno(e, 'EINVAL') && program.expectedAttachType !== attachType)
      throw new AttachError(
        where,
        `the kernel refused the link (EINVAL): ${describeProgram(program)} must be loaded with expectedAttachType ${attachTypeLabel(attachType)}`,
        { cause: e },
      );
    throw e;
  }
}

/** Options of {@link attachUprobeMulti}. */
export interface UprobeMultiOptions {
  /** Path of the executable or library; a bare name is looked up as {@link UprobeTarget.path} is. */
  readonly path: string;
  /** Symbols to probe (resolved through the ELF symbol tables) … */
  readonly symbols?: readonly string[];
  /** … and/or raw file offsets. */
  readonly offsets?: readonly (number | bigint)[];
  /** Per-probe cookies (bpf_get_attach_cookie), same order as symbols then offsets. */
  readonly cookies?: readonly (number | bigint)[];
  /**
   * Per-probe USDT semaphore (reference counter) file offsets, one per probe in the same order
   * as symbols then offsets, 0 for a probe without one: while the link exists the kernel
   * increments the 16-bit value at each in every process mapping the file, so code guarded by
   * the semaphore (`if (semaphore) …` around a USDT probe) runs. Each non-zero one is even and
   * inside a writable segment of the file.
   */
  readonly refCtrOffsets?: readonly (number | bigint)[];
  /** uretprobes instead of uprobes. */
  readonly retprobe?: boolean;
  /**
   * A session link (`TRACE_UPROBE_SESSION`, kernel 6.13+): the program, loaded with that expected
   * attach type, runs at entry and at return. Default false: a `TRACE_UPROBE_MULTI` link.
   */
  readonly session?: boolean;
  /** Only this process (default 0: all). */
  readonly pid?: number;
}

/**
 * Attaches a `kprobe` program loaded with expected attach type `TRACE_UPROBE_MULTI`
 * (`TRACE_UPROBE_SESSION` with `session`) to many uprobes in one bpf_link (kernel 6.6+).
 * @throws AttachError for a program loaded with another expected attach type, a missing file, an
 *   offset outside it or a semaphore offset that cannot be one; SymbolNotFoundError for a symbol
 *   the file does not have; BpfArgumentError for `refCtrOffsets` that are not one per probe
 */
export function attachUprobeMulti(program: Program, options: UprobeMultiOptions): Link {
  const where = `uprobe_multi on '${options.path}'`;
  requireAttachKind('uprobe_multi', program, where);
  const o = { ...options, path: resolveUprobePath(options.path, options.pid || undefined, where) };
  requireFile(o.path, where);
  const elf = o.symbols?.length ? ElfSymbols.open(o.path) : undefined;
  const offsets = [...(o.symbols ?? []).map((s) => elf!.symbolOffset(s)), ...(o.offsets ?? []).map(BigInt)];
  if (offsets.length === 0)
    throw new BpfArgumentError('uprobe_multi options', `give at least one symbol or offset for ${o.path}`);
  for (const offset of offsets) requireProbeOffset(o.path, offset, where, elf);
  const refCtrOffsets =
    o.refCtrOffsets && uprobeMultiRefCtrOffsets(o.path, o.refCtrOffsets, offsets.length, where, elf);
  const attachType = o.session ? BpfAttachType.TRACE_UPROBE_SESSION : BpfAttachType.TRACE_UPROBE_MULTI;
  if (program.expectedAttachType !== undefined && program.expectedAttachType !== attachType)
    throw new AttachError(
      where,
      `${describeProgram(program)} was loaded with expected attach type ${attachTypeLabel(program.expectedAttachType)}; a ${o.session ? 'session' : 'uprobe_multi'} link needs expectedAttachType ${attachTypeLabel(attachType)}`,
    );
  const fd = explainUprobeMulti(program, where, attachType, () =>
    linkCreate({
      progFd: program.fd,
      targetFd: 0,
      attachType,
      uprobeMulti: {
        path: o.path,
        offsets: BigUint64Array.from(offsets),
        ...(o.cookies && { cookies: BigUint64Array.from(o.cookies.map(BigInt)) }),
        ...(refCtrOffsets && { refCtrOffsets }),
        flags: o.retprobe ? BpfUprobeMultiFlag.RETURN : 0,
        pid: o.pid ?? 0,
      },
    }),
  );
  return new Link({ kind: 'uprobe_multi', fd, fixedProgram: noProgramSwap('a uprobe_multi') });
}

/**
 * Checks `refCtrOffsets` (one per probe, each a semaphore offset or 0) and packs them for the
 * kernel. @param elf - the file's parsed ELF, when the caller has it already
 */
function uprobeMultiRefCtrOffsets(
  path: string,
  given: readonly (number | bigint)[],
  probes: number,
  where: string,
  elf: ElfSymbols | undefined,
): BigUint64Array {
  if (given.length !== probes)
    throw new BpfArgumentError(
      'uprobe_multi refCtrOffsets',
      `${given.length} given for ${probes} probes on ${path}: give one per probe (symbols, then offsets), 0 for a probe without a semaphore`,
    );
  return BigUint64Array.from(given, (v, i) =>
    requireRefCtrOffset(path, v, `refCtrOffsets[${i}]`, where, elf),
  );
}
