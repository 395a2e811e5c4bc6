import { BpfSyscallError, type ProgLoadAttr, progLoad } from '@ts-ebpf/syscall';
import { Errno } from '@ts-ebpf/uapi';
import { type EncodedCode, locateSlot } from './instructions.js';
import { LoadInterruptedError } from './load-interrupted-error.js';
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
      const fd = progLoad({ ...attr, logLevel: level, logBuf });
      const end = logBuf.indexOf(0);
      return { fd, log: new TextDecoder().decode(logBuf.subarray(0, end < 0 ? logSize : end)) };
    } catch (e) {
      if (!(e instanceof BpfSyscallError) || e.errno !== Errno.ENOSPC || logSize >= MAX_LOG_SIZE) throw e;
      const wanted = e.logTrueSize && e.logTrueSize > logSize ? e.logTrueSize + 1 : logSize * 4;
      logSize = Math.min(MAX_LOG_SIZE, wanted);
    }
  }
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
  const size = Math.max(256, options.logSize ?? INITIAL_LOG_SIZE);
  let first: BpfSyscallError | undefined;
  if (level === 0) {
    try {
      // the attr as prepared (no log fields set): one object shape for every load
      return {
        fd:
          attr.logLevel || attr.logBuf
            ? progLoad({ ...attr, logLevel: 0, logBuf: undefined })
            : progLoad(attr),
        log: '',
      };
    } catch (e) {
      if (!(e instanceof BpfSyscallError)) throw e;
      first = e;
    }
  }
  try {
    return loadLogged(attr, level || 1, size);
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    // EAGAIN after progLoad's retries: signals kept interrupting the verifier, no verdict.
    if (e.errno === Errno.EAGAIN) throw new LoadInterruptedError(attr.progName || undefined, { cause: e });
    const log = e.log ?? '';
    if (log.trim() === '') throw first ?? e;
    const { errorLine, slot } = parseVerifierLog(log);
    // Only statistics: refused before verification (permissions, attach target), not by the verifier.
    if (errorLine === '') throw e;
    throw new VerifierError(
      e.errno,
      log,
      slot === undefined ? undefined : locateSlot(code, slot),
      attr.progName,
      { cause: e },
    );
  }
}
