import {
  BpfSyscallError,
  type ProgLoadAttr,
  progLoad,
  progLoadAsync,
  progLoadParallel,
  progLoadParallelAsync,
} from '@ts-ebpf/syscall';
import { Errno } from '@ts-ebpf/uapi';
import { type EncodedCode, type InstructionLocation, locateSlot } from './instructions.js';
import { LoadInterruptedError } from './load-interrupted-error.js';
import { extInfoLocation } from './source-location.js';
import { parseVerifierLog, VerifierError } from './verifier-error.js';

/** The first log buffer when a failed load is retried with a log. */
const INITIAL_LOG_SIZE = 64 * 1024;
/** The kernel refuses log buffers larger than this (UINT_MAX >> 2). */
const MAX_LOG_SIZE = 0x3fffffff;

/** How the verifier log is requested. */
export interface LogOptions {
  /** 0: no log unless the load fails (default); 1, 2 (verbose) or 4 (stats) to always request one. */
  readonly logLevel?: number;
  /** Initial log buffer size; grown automatically when the log does not fit. */
  readonly logSize?: number;
}

/** A loaded program's fd and the log the verifier wrote (empty on the fast path). */
export interface LoadResult {
  /** The program fd. */
  readonly fd: number;
  /** The verifier log ('' on the fast path). */
  readonly log: string;
}

function loadLogged(attr: ProgLoadAttr, level: number, size: number): LoadResult {
  let logSize = size;
  for (;;) {
    const logBuf = new Uint8Array(logSize);
    try {
      return { fd: progLoad({ ...attr, logLevel: level, logBuf }), log: decodeLog(logBuf) };
    } catch (e) {
      logSize = grownLogSize(e, logSize);
    }
  }
}

/** The text of a log buffer, up to its NUL. */
function decodeLog(logBuf: Uint8Array): string {
  const end = logBuf.indexOf(0);
  return new TextDecoder().decode(logBuf.subarray(0, end < 0 ? logBuf.byteLength : end));
}

/** The log size to retry with after `e`, when `e` says the log did not fit; otherwise rethrows `e`. */
function grownLogSize(e: unknown, logSize: number): number {
  if (!(e instanceof BpfSyscallError) || e.errno !== Errno.ENOSPC || logSize >= MAX_LOG_SIZE) throw e;
  const wanted = e.logTrueSize && e.logTrueSize > logSize ? e.logTrueSize + 1 : logSize * 4;
  return Math.min(MAX_LOG_SIZE, wanted);
}

/** The attr of the fast path: as prepared (no log fields set), one object shape for every load. */
function withoutLog(attr: ProgLoadAttr): ProgLoadAttr {
  return attr.logLevel || attr.logBuf ? { ...attr, logLevel: 0, logBuf: undefined } : attr;
}

/**
 * BPF_PROG_LOAD with the verifier log handled: without a requested log level the load
 * runs without a log (the fast path) and only a failure is retried with level 1; a log
 * that does not fit is retried with the size the kernel reports. A failure with a log
 * becomes a {@link VerifierError} pointing at the failing instruction; a load that signals
 * interrupted on every retry (EAGAIN) a {@link LoadInterruptedError}.
 */
export function loadWithLog(attr: ProgLoadAttr, code: EncodedCode, options: LogOptions = {}): LoadResult {
  const level = options.logLevel ?? 0;
  let first: BpfSyscallError | undefined;
  if (level === 0) {
    try {
      return { fd: progLoad(withoutLog(attr)), log: '' };
    } catch (e) {
      if (!(e instanceof BpfSyscallError)) throw e;
      first = e;
    }
  }
  return loadLoggedOrThrow(attr, code, options, first);
}

/**
 * {@link loadWithLog} with the load run on a worker thread (`progLoadAsync`), so that several
 * programs verify at once. Only the fast path runs there: a load that asks for a log, or a
 * failed one retried with a log, runs on the calling thread, as {@link loadWithLog} runs it.
 */
export async function loadWithLogAsync(
  attr: ProgLoadAttr,
  code: EncodedCode,
  options: LogOptions = {},
): Promise<LoadResult> {
  let first: BpfSyscallError | undefined;
  if ((options.logLevel ?? 0) === 0) {
    try {
      return { fd: await progLoadAsync(withoutLog(attr)), log: '' };
    } catch (e) {
      if (!(e instanceof BpfSyscallError)) throw e;
      first = e;
    }
  }
  return loadLoggedOrThrow(attr, code, options, first);
}

/** One load of {@link loadEachWithLog}: its attr, code and log options. */
export interface LogLoad {
  readonly attr: ProgLoadAttr;
  readonly code: EncodedCode;
  readonly options: LogOptions;
}

/**
 * {@link loadWithLog} of several programs, whose fast paths (the loads that ask for no log) run on
 * this thread and `threads - 1` helper threads at once (`progLoadParallel`). The loads that ask
 * for a log, and the logged retries of failed ones, then run on this thread, one after another.
 * Each result is the load's fd and log, or the error `loadWithLog` would have thrown for it (as
 * `{ error }`); once the loads have run nothing is thrown, so no fd is left without an owner.
 */
export function loadEachWithLog(loads: readonly LogLoad[], threads: number): EachResult[] {
  const fastAt = fastLoads(loads);
  return finishEach(
    loads,
    fastAt,
    progLoadParallel(
      fastAt.map((i) => withoutLog(loads[i]!.attr)),
      threads,
    ),
  );
}

/**
 * {@link loadEachWithLog} with the fast paths made by `helpers` helper threads
 * (`progLoadParallelAsync`), this thread free meanwhile; the logged loads then run on this thread.
 */
export async function loadEachWithLogAsync(
  loads: readonly LogLoad[],
  helpers: number,
): Promise<EachResult[]> {
  const fastAt = fastLoads(loads);
  const fast = await progLoadParallelAsync(
    fastAt.map((i) => withoutLog(loads[i]!.attr)),
    helpers,
  );
  return finishEach(loads, fastAt, fast);
}

/** A load's fd and log, or what it failed with. */
export type EachResult = LoadResult | { readonly error: unknown };

/** The places of the loads that ask for no log (their fast path runs on several threads). */
function fastLoads(loads: readonly LogLoad[]): number[] {
  const at: number[] = [];
  loads.forEach((l, i) => {
    if ((l.options.logLevel ?? 0) === 0) at.push(i);
  });
  return at;
}

/** Every load's result: a fast path's fd, or the logged load (after a failed fast path) on this thread. */
function finishEach(
  loads: readonly LogLoad[],
  fastAt: readonly number[],
  fast: readonly (number | BpfSyscallError)[],
): EachResult[] {
  const first: (number | BpfSyscallError | undefined)[] = new Array(loads.length);
  fastAt.forEach((at, i) => {
    first[at] = fast[i];
  });
  return loads.map((l, i) => {
    const r = first[i];
    if (typeof r === 'number') return { fd: r, log: '' };
    try {
      return loadLoggedOrThrow(l.attr, l.code, l.options, r);
    } catch (error) {
      return { error };
    }
  });
}

/** The logged load (after a failed fast path `first`, if any), its failure turned into a {@link VerifierError}. */
function loadLoggedOrThrow(
  attr: ProgLoadAttr,
  code: EncodedCode,
  options: LogOptions,
  first: BpfSyscallError | undefined,
): LoadResult {
  const size = Math.max(256, options.logSize ?? INITIAL_LOG_SIZE);
  try {
    return loadLogged(attr, options.logLevel || 1, size);
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    // EAGAIN after progLoad's retries: signals kept interrupting the verifier, no verdict.
    if (e.errno === Errno.EAGAIN) throw new LoadInterruptedError(attr.progName || undefined, { cause: e });
    const log = e.log ?? '';
    if (log.trim() === '') throw first ?? e;
    const { errorLine, slot } = parseVerifierLog(log);
    // Only statistics: refused before verification (permissions, attach target), not by the verifier.
    if (errorLine === '') throw e;
    let location: InstructionLocation | undefined;
    let sourceLookupError: unknown;
    if (slot !== undefined) {
      location = locateSlot(code, slot);
      // The C source is extra detail: its lookup failing must not replace the verifier's verdict.
      try {
        location = { ...location, ...extInfoLocation(attr, slot) };
      } catch (lookup) {
        sourceLookupError = lookup;
      }
    }
    throw new VerifierError(e.errno, log, location, attr.progName, {
      cause: e,
      ...(sourceLookupError !== undefined && { sourceLookupError }),
    });
  }
}
