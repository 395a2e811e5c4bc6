import {
  BpfCmd,
  BpfInsnClass,
  BpfInsnMode,
  BpfInsnSize,
  BpfJmpOp,
  BpfPseudoCall,
  BpfPseudoLd,
  Errno,
  HOST_BYTE_ORDER,
  isLittleEndian,
} from '@ts-ebpf/uapi';
import { Attr, keepAlive, lazyAttr } from './attr.js';
import { bpfTry, bpfTryAsync, bpfTryParallel, bpfTryParallelAsync } from './bpf.js';
import { BpfArgumentError, type BpfSyscallError, syscallError } from './errors.js';
import { checkThreads } from './helper-threads.js';
import { BTF_LOAD, PROG_LOAD } from './layouts.js';
import { type PinnedLoad, pinLoad } from './pinned-load.js';
import { withTokenFlag } from './token.js';
import {
  bufferError,
  checkBuffer,
  checkCString,
  checkFd,
  checkInt,
  checkObjectName,
  checkU32,
} from './validate.js';
import { checkLogLevel } from './verifier-log-level.js';

/** Options of BPF_PROG_LOAD. */
export interface ProgLoadAttr {
  /** `BpfProgType.*`. */
  progType: number;
  /** Encoded instructions, 8 bytes each. */
  insns: Uint8Array;
  /** License string; GPL-only helpers need a GPL-compatible one. Default `'GPL'`. */
  license?: string;
  /** 0 (no log), or {@link VerifierLogLevel} bits: 1, 2 (verbose), 4 (statistics), 8 (keep the log's start). */
  logLevel?: number;
  /** Buffer the verifier writes its log into. */
  logBuf?: Uint8Array;
  /** With logLevel > 0 and no logBuf: size of the log buffer to allocate (default 1 MiB; 1 to 2^30 - 1). */
  logSize?: number;
  kernVersion?: number;
  /** `BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`, … */
  progFlags?: number;
  /** At most 15 characters of `[A-Za-z0-9_.]`. */
  progName?: string;
  progIfindex?: number;
  expectedAttachType?: number;
  progBtfFd?: number;
  funcInfo?: Uint8Array;
  funcInfoRecSize?: number;
  lineInfo?: Uint8Array;
  lineInfoRecSize?: number;
  attachBtfId?: number;
  /** For freplace/fentry on a BPF program: its fd; for module BTF: the BTF object's fd. */
  attachProgFd?: number;
  attachBtfObjFd?: number;
  /** Map fds referred to by `BPF_PSEUDO_MAP_IDX` instructions. */
  fdArray?: Int32Array;
  /** A `BpfToken`'s fd: the program is loaded under the token (BPF_F_TOKEN_FD is set in prog_flags). */
  progTokenFd?: number;
}

const attr = lazyAttr(PROG_LOAD.SIZE);
const decoder = new TextDecoder();

/** The text the kernel wrote into a log buffer, up to its NUL. */
export function decodeLog(buf: Uint8Array | undefined): string {
  if (!buf) return '';
  const end = buf.indexOf(0);
  return decoder.decode(end < 0 ? buf : buf.subarray(0, end));
}

const DEFAULT_LOG_SIZE = 1 << 20;
/** The largest log the kernel takes: UINT_MAX >> 2 bytes (kernel/bpf/log.c); a larger one is EINVAL. */
const MAX_LOG_SIZE = 0x3fffffff;

function logBuffer(level: number | undefined, buf: Uint8Array | undefined, size: number | undefined) {
  if (buf) return buf;
  return level ? new Uint8Array(checkInt(size ?? DEFAULT_LOG_SIZE, 'logSize', 1, MAX_LOG_SIZE)) : undefined;
}

const PROG_LOAD_ATTEMPTS = 5;

/**
 * BPF_PROG_LOAD: verifies and loads a program, returning its fd. On failure
 * the thrown error carries the verifier log (when a log level was set) and
 * `logTrueSize`, the buffer size the whole log needs (kernel 6.4+).
 */
export function progLoad(o: ProgLoadAttr): number {
  const logBuf = checkedLogBuffer(o);
  const a = fillProgLoad(attr().reset(), o, logBuf);
  // The verifier gives up with EAGAIN when a signal arrives (a profiler's, a child's): retry a
  // few times, as libbpf does.
  let fd = bpfTry(BpfCmd.PROG_LOAD, a, PROG_LOAD.SIZE);
  for (let attempt = 1; fd === -Errno.EAGAIN && attempt < PROG_LOAD_ATTEMPTS; attempt++)
    fd = bpfTry(BpfCmd.PROG_LOAD, a, PROG_LOAD.SIZE);
  keepAlive(logBuf, o);
  if (fd < 0) throw progLoadError(-fd, o, a, logBuf);
  return fd;
}

// Attrs of loads in flight on worker threads: each load owns one (and the copies of its inputs in
// it) until the kernel has answered; a finished load's attr is reused by the next.
const idleAttrs: Attr[] = [];

/**
 * {@link progLoad} run on a worker thread (libuv's pool, through koffi's async call), so that
 * several programs can be verified at once. The same checks run first, on the caller's thread, and
 * failures are the same typed errors. The kernel works on native copies of `o`'s buffers, made
 * before this returns: the caller may change, drop or transfer them meanwhile; the log is copied
 * into `o.logBuf` when the load ends.
 */
export async function progLoadAsync(o: ProgLoadAttr): Promise<number> {
  const [pinned] = pinLoads([o]) as [PinnedLoad];
  const a = idleAttrs.pop() ?? new Attr(PROG_LOAD.SIZE);
  try {
    fillProgLoad(a.reset(), pinned.load, pinned.logBuf);
    let fd = await bpfTryAsync(BpfCmd.PROG_LOAD, a, PROG_LOAD.SIZE);
    for (let attempt = 1; fd === -Errno.EAGAIN && attempt < PROG_LOAD_ATTEMPTS; attempt++)
      fd = await bpfTryAsync(BpfCmd.PROG_LOAD, a, PROG_LOAD.SIZE);
    pinned.returnLog();
    if (fd < 0) throw progLoadError(-fd, o, a, pinned.logBuf);
    return fd;
  } finally {
    pinned.release();
    idleAttrs.push(a);
  }
}

/** Checks every load and makes its native copies (see {@link pinLoad}): all of them, or none. */
function pinLoads(loads: readonly ProgLoadAttr[]): PinnedLoad[] {
  const pins: PinnedLoad[] = [];
  try {
    for (const o of loads) pins.push(pinLoad(o, checkedLogBuffer(o)));
  } catch (e) {
    for (const p of pins) p.release();
    throw e;
  }
  return pins;
}

/**
 * {@link progLoad} of several programs, verified on this thread and `threads - 1` helper threads
 * at once (the kernel verifies and compiles each load on the thread that asked, so on a machine with
 * idle cores the batch takes less wall time than the same loads one after another). Every load is
 * checked, as `progLoad` checks it, before any reaches the kernel. Returns, in order, each
 * program's fd, or the error its load failed with (the typed error `progLoad` throws, with its log
 * when it asked for one); the caller owns every fd. Blocks until every load has returned.
 * @param threads - threads that load at once, this one included: an integer from 1 to 64
 * @throws BpfArgumentError for a bad load or thread count (nothing was loaded)
 * @throws HelperThreadError when a helper thread failed (see its documentation)
 */
export function progLoadParallel(
  loads: readonly ProgLoadAttr[],
  threads: number,
): (number | BpfSyscallError)[] {
  checkThreads(threads, 'threads');
  const filled = fillAttrs(loads);
  try {
    const fds = bpfTryParallel(BpfCmd.PROG_LOAD, filled.attrs, PROG_LOAD.SIZE, threads, PROG_LOAD_ATTEMPTS);
    return loadResults(fds, loads, filled);
  } finally {
    idleAttrs.push(...filled.attrs);
  }
}

/**
 * {@link progLoadParallel} with every load made by `helpers` helper threads, the calling thread
 * free meanwhile (it makes none): resolves to the same results. The kernel works on native copies
 * of the loads' buffers (see {@link progLoadAsync}).
 * @param helpers - helper threads that load at once: an integer from 1 to 64
 * @throws BpfArgumentError for a bad load or helper count (nothing was loaded)
 * @throws HelperThreadError when a helper thread failed (see its documentation)
 */
export async function progLoadParallelAsync(
  loads: readonly ProgLoadAttr[],
  helpers: number,
): Promise<(number | BpfSyscallError)[]> {
  checkThreads(helpers, 'helpers');
  const pins = pinLoads(loads);
  try {
    const filled = fillAttrs(pins.map((p) => p.load));
    try {
      const fds = await bpfTryParallelAsync(
        BpfCmd.PROG_LOAD,
        filled.attrs,
        PROG_LOAD.SIZE,
        helpers,
        PROG_LOAD_ATTEMPTS,
      );
      for (const p of pins) p.returnLog();
      return loadResults(fds, loads, filled);
    } finally {
      idleAttrs.push(...filled.attrs);
    }
  } finally {
    for (const p of pins) p.release();
  }
}

/** The attrs of several loads and their log buffers. */
interface FilledAttrs {
  readonly attrs: Attr[];
  readonly logBufs: (Uint8Array | undefined)[];
}

/** Checks every load, then fills an attr (an idle one, or a new one) for each; the caller makes them idle again. */
function fillAttrs(loads: readonly ProgLoadAttr[]): FilledAttrs {
  const logBufs = loads.map(checkedLogBuffer);
  const attrs: Attr[] = [];
  try {
    for (let i = 0; i < loads.length; i++) {
      const a = idleAttrs.pop() ?? new Attr(PROG_LOAD.SIZE);
      attrs.push(a);
      fillProgLoad(a.reset(), loads[i]!, logBufs[i]);
    }
  } catch (e) {
    idleAttrs.push(...attrs);
    throw e;
  }
  return { attrs, logBufs };
}

/** Each load's fd, or its typed error (with its log and the log size the kernel wanted). */
function loadResults(
  fds: Int32Array,
  loads: readonly ProgLoadAttr[],
  { attrs, logBufs }: FilledAttrs,
): (number | BpfSyscallError)[] {
  keepAlive(logBufs, loads);
  return Array.from(fds, (fd, i) => (fd >= 0 ? fd : progLoadError(-fd, loads[i]!, attrs[i]!, logBufs[i])));
}

/** Checks `o` and returns the log buffer the load writes into (allocated for a log level without one). */
function checkedLogBuffer(o: ProgLoadAttr): Uint8Array | undefined {
  checkProgLoad(o);
  return logBuffer(o.logLevel, o.logBuf, o.logSize);
}

/**
 * Fills a reset attr with `o` (checked by {@link checkProgLoad}). The reset left every field 0, so
 * a field is written only when `o` sets it: each given value is still checked, and an absent one
 * costs nothing (a load touches little besides what it sends).
 */
function fillProgLoad(a: Attr, o: ProgLoadAttr, logBuf: Uint8Array | undefined): Attr {
  const license = checkCString(o.license ?? 'GPL', 'license', 127);
  a.u32(PROG_LOAD.prog_type, checkU32(o.progType, 'progType'))
    .u32(PROG_LOAD.insn_cnt, o.insns.byteLength / 8)
    .input(PROG_LOAD.insns, o.insns)
    .inputString(PROG_LOAD.license, license);
  if (o.logLevel != null) a.u32(PROG_LOAD.log_level, checkLogLevel(o.logLevel));
  if (logBuf) a.u32(PROG_LOAD.log_size, logBuf.byteLength).ptr(PROG_LOAD.log_buf, logBuf);
  if (o.kernVersion != null) a.u32(PROG_LOAD.kern_version, checkU32(o.kernVersion, 'kernVersion'));
  if (o.progFlags != null || o.progTokenFd !== undefined) {
    const flags = checkU32(o.progFlags ?? 0, 'progFlags');
    a.u32(PROG_LOAD.prog_flags, withTokenFlag(flags, o.progTokenFd, 'progFlags', 'progTokenFd'));
  }
  if (o.progName) a.chars(PROG_LOAD.prog_name, 16, checkObjectName(o.progName, 'progName'));
  if (o.progIfindex != null) a.u32(PROG_LOAD.prog_ifindex, checkU32(o.progIfindex, 'progIfindex'));
  if (o.expectedAttachType != null)
    a.u32(PROG_LOAD.expected_attach_type, checkU32(o.expectedAttachType, 'expectedAttachType'));
  if (o.progBtfFd !== undefined) a.u32(PROG_LOAD.prog_btf_fd, checkFd(o.progBtfFd, 'progBtfFd'));
  if (o.funcInfo)
    a.u32(PROG_LOAD.func_info_rec_size, checkU32(o.funcInfoRecSize ?? 8, 'funcInfoRecSize'))
      .input(PROG_LOAD.func_info, o.funcInfo)
      .u32(PROG_LOAD.func_info_cnt, o.funcInfo.byteLength / (o.funcInfoRecSize ?? 8));
  if (o.lineInfo)
    a.u32(PROG_LOAD.line_info_rec_size, checkU32(o.lineInfoRecSize ?? 16, 'lineInfoRecSize'))
      .input(PROG_LOAD.line_info, o.lineInfo)
      .u32(PROG_LOAD.line_info_cnt, o.lineInfo.byteLength / (o.lineInfoRecSize ?? 16));
  if (o.attachBtfId != null) a.u32(PROG_LOAD.attach_btf_id, checkU32(o.attachBtfId, 'attachBtfId'));
  const attachProgFd = o.attachProgFd ?? o.attachBtfObjFd;
  if (attachProgFd != null) a.u32(PROG_LOAD.attach_prog_fd, checkFd(attachProgFd, 'attachProgFd'));
  if (o.fdArray) a.input(PROG_LOAD.fd_array, o.fdArray);
  if (o.progTokenFd !== undefined) a.u32(PROG_LOAD.prog_token_fd, checkFd(o.progTokenFd, 'progTokenFd'));
  return a;
}

/** The typed error of a failed load, with its log and the log size the kernel wanted. */
function progLoadError(
  errno: number,
  o: ProgLoadAttr,
  a: Attr,
  logBuf: Uint8Array | undefined,
): BpfSyscallError {
  return syscallError(errno, {
    syscall: 'bpf',
    command: 'BPF_PROG_LOAD',
    detail: o.progName || undefined,
    token: o.progTokenFd !== undefined,
    log: decodeLog(logBuf),
    logTrueSize: a.getU32(PROG_LOAD.log_true_size),
  });
}

const LOAD = 'BPF_PROG_LOAD';

/**
 * Checks the buffers of a program load: instructions (non-empty, whole 8-byte instructions),
 * func_info and line_info (whole records), the log buffer, and `fdArray` (an entry for every
 * index the instructions name).
 */
function checkProgLoad(o: ProgLoadAttr): void {
  checkBuffer(o.insns, LOAD, 'insns', INSN_BYTES, 'one 8-byte instruction');
  if (o.insns.byteLength % INSN_BYTES !== 0) {
    throw new BpfArgumentError(
      'insns',
      `${LOAD}: ${o.insns.byteLength} bytes is not a whole number of 8-byte instructions`,
    );
  }
  checkRecords(o.funcInfo, 'funcInfo', o.funcInfoRecSize ?? 8);
  checkRecords(o.lineInfo, 'lineInfo', o.lineInfoRecSize ?? 16);
  if (o.logBuf) checkBuffer(o.logBuf, LOAD, 'logBuf', 1, 'a log buffer');
  if (o.fdArray) checkBuffer(o.fdArray, LOAD, 'fdArray', 0);
  const needed = fdArrayEntries(o.insns);
  // In bytes: the kernel reads 4-byte fds, whatever kind of array holds them.
  if (needed > 0 && !(o.fdArray && o.fdArray.byteLength >= needed * 4)) {
    bufferError(o.fdArray, LOAD, 'fdArray', needed * 4, `instructions naming fd_array[${needed - 1}]`);
  }
}

function checkRecords(bytes: Uint8Array | undefined, argument: string, recSize: number): void {
  if (!bytes) return;
  checkBuffer(bytes, LOAD, argument, 0);
  if (recSize === 0 || bytes.byteLength % recSize !== 0) {
    throw new BpfArgumentError(
      argument,
      `${LOAD}: ${bytes.byteLength} bytes is not a whole number of ${recSize}-byte records`,
    );
  }
}

const INSN_BYTES = 8;
const LD_IMM64 = BpfInsnClass.LD | BpfInsnMode.IMM | BpfInsnSize.DW;
const CALL = BpfInsnClass.JMP | BpfJmpOp.CALL;

/** How many fd_array entries the kernel reads for `insns` (host byte order): 1 + the highest index. */
function fdArrayEntries(insns: Uint8Array): number {
  const le = isLittleEndian(HOST_BYTE_ORDER);
  const end = insns.byteLength;
  let entries = 0;
  // Most programs name no fd_array entry: a DataView is made only for one that may.
  let v: DataView | undefined;
  for (let at = 0; at + INSN_BYTES <= end; at += INSN_BYTES) {
    const code = insns[at]!;
    if (code !== LD_IMM64 && code !== CALL) continue;
    const regs = insns[at + 1]!;
    const src = le ? regs >> 4 : regs & 0xf;
    if (code === LD_IMM64 && (src === BpfPseudoLd.MAP_IDX || src === BpfPseudoLd.MAP_IDX_VALUE)) {
      v ??= new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
      entries = Math.max(entries, v.getInt32(at + 4, le) + 1);
    } else if (code === CALL && src === BpfPseudoCall.KFUNC_CALL) {
      // off 0 is vmlinux's BTF; off n > 0 is the module BTF whose fd is fd_array[n]
      v ??= new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
      const off = v.getInt16(at + 2, le);
      if (off > 0) entries = Math.max(entries, off + 1);
    }
    if (code === LD_IMM64) at += INSN_BYTES; // its second half is no instruction
  }
  return entries;
}

/** Options of BPF_BTF_LOAD. */
export interface BtfLoadAttr {
  /** Raw BTF: header, types and strings. */
  btf: Uint8Array;
  logBuf?: Uint8Array;
  /** With no logBuf: size of the log buffer to allocate (default 1 MiB); 0 for no log. */
  logSize?: number;
  logLevel?: number;
  btfFlags?: number;
  /** A `BpfToken`'s fd: the BTF is loaded under the token (BPF_F_TOKEN_FD is set in btf_flags). */
  btfTokenFd?: number;
}

const btfAttr = lazyAttr(BTF_LOAD.btf_token_fd + 4);

/** BPF_BTF_LOAD: loads BTF into the kernel and returns its fd; failures carry the log. */
export function btfLoad(o: BtfLoadAttr): number {
  checkBuffer(o.btf, 'BPF_BTF_LOAD', 'btf', 24, 'a BTF header');
  if (o.logBuf) checkBuffer(o.logBuf, 'BPF_BTF_LOAD', 'logBuf', 1, 'a log buffer');
  const logBuf = o.logSize === 0 ? o.logBuf : logBuffer(o.logLevel ?? 1, o.logBuf, o.logSize);
  const a = btfAttr().reset();
  a.ptr(BTF_LOAD.btf, o.btf)
    .ptr(BTF_LOAD.btf_log_buf, logBuf ?? null)
    .u32(BTF_LOAD.btf_size, o.btf.byteLength)
    .u32(BTF_LOAD.btf_log_size, logBuf?.byteLength ?? 0)
    .u32(BTF_LOAD.btf_log_level, checkLogLevel(logBuf ? (o.logLevel ?? 1) : 0))
    .u32(
      BTF_LOAD.btf_flags,
      withTokenFlag(checkU32(o.btfFlags ?? 0, 'btfFlags'), o.btfTokenFd, 'btfFlags', 'btfTokenFd'),
    )
    .u32(BTF_LOAD.btf_token_fd, o.btfTokenFd === undefined ? 0 : checkFd(o.btfTokenFd, 'btfTokenFd'));
  const fd = bpfTry(
    BpfCmd.BTF_LOAD,
    a,
    o.btfFlags || o.btfTokenFd !== undefined ? BTF_LOAD.btf_token_fd + 4 : BTF_LOAD.SIZE,
  );
  if (fd < 0) {
    throw syscallError(-fd, {
      syscall: 'bpf',
      command: 'BPF_BTF_LOAD',
      token: o.btfTokenFd !== undefined,
      log: decodeLog(logBuf),
      logTrueSize: a.getU32(BTF_LOAD.btf_log_true_size),
    });
  }
  return fd;
}
