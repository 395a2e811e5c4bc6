import { BpfCmd } from '@ts-ebpf/uapi';
import { Attr, keepAlive } from './attr.js';
import { bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import { BTF_LOAD, PROG_LOAD } from './layouts.js';
import { checkBytes, checkCString, checkFd, checkObjectName, checkU32 } from './validate.js';

/** Options of BPF_PROG_LOAD. */
export interface ProgLoadAttr {
  /** `BpfProgType.*`. */
  progType: number;
  /** Encoded instructions, 8 bytes each. */
  insns: Uint8Array;
  /** License string; GPL-only helpers need a GPL-compatible one. Default `'GPL'`. */
  license?: string;
  /** 0 (no log), 1, 2 (verbose) or 4 (statistics), or a combination. */
  logLevel?: number;
  /** Buffer the verifier writes its log into. */
  logBuf?: Uint8Array;
  /** With logLevel > 0 and no logBuf: size of the log buffer to allocate (default 1 MiB). */
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
  progTokenFd?: number;
}

const attr = new Attr(PROG_LOAD.SIZE);
const decoder = new TextDecoder();

/** The text the kernel wrote into a log buffer, up to its NUL. */
export function decodeLog(buf: Uint8Array | undefined): string {
  if (!buf) return '';
  const end = buf.indexOf(0);
  return decoder.decode(end < 0 ? buf : buf.subarray(0, end));
}

const DEFAULT_LOG_SIZE = 1 << 20;

function logBuffer(level: number | undefined, buf: Uint8Array | undefined, size: number | undefined) {
  if (buf) return buf;
  return level ? new Uint8Array(checkU32(size ?? DEFAULT_LOG_SIZE, 'logSize')) : undefined;
}

const EAGAIN = 11;
const PROG_LOAD_ATTEMPTS = 5;

/**
 * BPF_PROG_LOAD: verifies and loads a program, returning its fd. On failure
 * the thrown error carries the verifier log (when a log level was set) and
 * `logTrueSize`, the buffer size the whole log needs (kernel 6.4+).
 */
export function progLoad(o: ProgLoadAttr): number {
  checkBytes(o.insns, 'insns', 8);
  if (o.insns.byteLength % 8 !== 0) {
    throw syscallErrorFromArgs(`insns is ${o.insns.byteLength} bytes, not a multiple of 8`);
  }
  const license = checkCString(o.license ?? 'GPL', 'license', 127);
  const logBuf = logBuffer(o.logLevel, o.logBuf, o.logSize);
  const a = attr.reset();
  a.u32(PROG_LOAD.prog_type, checkU32(o.progType, 'progType'))
    .u32(PROG_LOAD.insn_cnt, o.insns.byteLength / 8)
    .input(PROG_LOAD.insns, o.insns)
    .inputString(PROG_LOAD.license, license)
    .u32(PROG_LOAD.log_level, checkU32(o.logLevel ?? 0, 'logLevel'))
    .u32(PROG_LOAD.log_size, logBuf?.byteLength ?? 0)
    .ptr(PROG_LOAD.log_buf, logBuf ?? null)
    .u32(PROG_LOAD.kern_version, checkU32(o.kernVersion ?? 0, 'kernVersion'))
    .u32(PROG_LOAD.prog_flags, checkU32(o.progFlags ?? 0, 'progFlags'))
    .chars(PROG_LOAD.prog_name, 16, checkObjectName(o.progName ?? '', 'progName'))
    .u32(PROG_LOAD.prog_ifindex, checkU32(o.progIfindex ?? 0, 'progIfindex'))
    .u32(PROG_LOAD.expected_attach_type, checkU32(o.expectedAttachType ?? 0, 'expectedAttachType'))
    .u32(PROG_LOAD.prog_btf_fd, o.progBtfFd === undefined ? 0 : checkFd(o.progBtfFd, 'progBtfFd'))
    .u32(PROG_LOAD.func_info_rec_size, o.funcInfo ? checkU32(o.funcInfoRecSize ?? 8, 'funcInfoRecSize') : 0)
    .input(PROG_LOAD.func_info, o.funcInfo ?? null)
    .u32(PROG_LOAD.func_info_cnt, o.funcInfo ? o.funcInfo.byteLength / (o.funcInfoRecSize ?? 8) : 0)
    .u32(PROG_LOAD.line_info_rec_size, o.lineInfo ? checkU32(o.lineInfoRecSize ?? 16, 'lineInfoRecSize') : 0)
    .input(PROG_LOAD.line_info, o.lineInfo ?? null)
    .u32(PROG_LOAD.line_info_cnt, o.lineInfo ? o.lineInfo.byteLength / (o.lineInfoRecSize ?? 16) : 0)
    .u32(PROG_LOAD.attach_btf_id, checkU32(o.attachBtfId ?? 0, 'attachBtfId'))
    .u32(PROG_LOAD.attach_prog_fd, checkFd(o.attachProgFd ?? o.attachBtfObjFd ?? 0, 'attachProgFd'))
    .ptr(PROG_LOAD.fd_array, o.fdArray ?? null)
    .u32(PROG_LOAD.prog_token_fd, o.progTokenFd === undefined ? 0 : checkFd(o.progTokenFd, 'progTokenFd'));
  // The verifier gives up with EAGAIN when a signal arrives (a profiler's, a child's): retry a
  // few times, as libbpf does.
  let fd = bpfTry(BpfCmd.PROG_LOAD, a, PROG_LOAD.SIZE);
  for (let attempt = 1; fd === -EAGAIN && attempt < PROG_LOAD_ATTEMPTS; attempt++)
    fd = bpfTry(BpfCmd.PROG_LOAD, a, PROG_LOAD.SIZE);
  keepAlive(logBuf, o);
  if (fd < 0) {
    throw syscallError(-fd, {
      syscall: 'bpf',
      command: 'BPF_PROG_LOAD',
      detail: o.progName || undefined,
      log: decodeLog(logBuf),
      logTrueSize: a.getU32(PROG_LOAD.log_true_size),
    });
  }
  return fd;
}

function syscallErrorFromArgs(message: string): Error {
  return new TypeError(`invalid BPF_PROG_LOAD arguments: ${message}`);
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
  btfTokenFd?: number;
}

const btfAttr = new Attr(BTF_LOAD.btf_token_fd + 4);

/** BPF_BTF_LOAD: loads BTF into the kernel and returns its fd; failures carry the log. */
export function btfLoad(o: BtfLoadAttr): number {
  checkBytes(o.btf, 'btf', 24);
  const logBuf = o.logSize === 0 ? o.logBuf : logBuffer(o.logLevel ?? 1, o.logBuf, o.logSize);
  const a = btfAttr.reset();
  a.ptr(BTF_LOAD.btf, o.btf)
    .ptr(BTF_LOAD.btf_log_buf, logBuf ?? null)
    .u32(BTF_LOAD.btf_size, o.btf.byteLength)
    .u32(BTF_LOAD.btf_log_size, logBuf?.byteLength ?? 0)
    .u32(BTF_LOAD.btf_log_level, checkU32(logBuf ? (o.logLevel ?? 1) : 0, 'logLevel'))
    .u32(BTF_LOAD.btf_flags, checkU32(o.btfFlags ?? 0, 'btfFlags'))
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
      log: decodeLog(logBuf),
      logTrueSize: a.getU32(BTF_LOAD.btf_log_true_size),
    });
  }
  return fd;
}
