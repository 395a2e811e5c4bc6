import { BpfCmd } from '@ts-ebpf/uapi';
import { Attr } from './attr.js';
import { bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import { PROG_TEST_RUN } from './layouts.js';
import { checkFd, checkU32 } from './validate.js';

/** Options of BPF_PROG_TEST_RUN. */
export interface ProgTestRunAttr {
  progFd: number;
  /** Packet or input data. */
  dataIn?: Uint8Array;
  /** Receives the data as the program left it; its length is the room given. */
  dataOut?: Uint8Array;
  /** Context (e.g. `struct __sk_buff`, `struct xdp_md`) to run with. */
  ctxIn?: Uint8Array;
  /** Receives the context after the run. */
  ctxOut?: Uint8Array;
  /** Run this many times (duration is the mean). */
  repeat?: number;
  /** `BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`, … */
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

/** What a test run returned. */
export interface ProgTestRunResult {
  /** The program's return value. */
  retval: number;
  /** Mean run time in nanoseconds. */
  duration: number;
  /** Bytes of `dataOut` the kernel filled. */
  dataSizeOut: number;
  /** Bytes of `ctxOut` the kernel filled. */
  ctxSizeOut: number;
}

const attr = new Attr(PROG_TEST_RUN.SIZE);
const EINTR = 4;

/** BPF_PROG_TEST_RUN: runs a loaded program once (or `repeat` times) on given input. */
export function progTestRun(o: ProgTestRunAttr): ProgTestRunResult {
  const a = attr.reset();
  a.u32(PROG_TEST_RUN.prog_fd, checkFd(o.progFd, 'progFd'))
    .u32(PROG_TEST_RUN.data_size_in, o.dataIn?.byteLength ?? 0)
    .u32(PROG_TEST_RUN.data_size_out, o.dataOut?.byteLength ?? 0)
    .ptr(PROG_TEST_RUN.data_in, o.dataIn ?? null)
    .ptr(PROG_TEST_RUN.data_out, o.dataOut ?? null)
    .u32(PROG_TEST_RUN.repeat, checkU32(o.repeat ?? 0, 'repeat'))
    .u32(PROG_TEST_RUN.ctx_size_in, o.ctxIn?.byteLength ?? 0)
    .u32(PROG_TEST_RUN.ctx_size_out, o.ctxOut?.byteLength ?? 0)
    .ptr(PROG_TEST_RUN.ctx_in, o.ctxIn ?? null)
    .ptr(PROG_TEST_RUN.ctx_out, o.ctxOut ?? null)
    .u32(PROG_TEST_RUN.flags, checkU32(o.flags ?? 0, 'flags'))
    .u32(PROG_TEST_RUN.cpu, checkU32(o.cpu ?? 0, 'cpu'))
    .u32(PROG_TEST_RUN.batch_size, checkU32(o.batchSize ?? 0, 'batchSize'));
  // A long repeated run is interrupted by signals (EINTR): run it again, as libbpf callers do.
  let r = bpfTry(BpfCmd.PROG_TEST_RUN, a, PROG_TEST_RUN.SIZE);
  for (let tries = 0; r === -EINTR && tries < 16; tries++)
    r = bpfTry(BpfCmd.PROG_TEST_RUN, a, PROG_TEST_RUN.SIZE);
  if (r < 0)
    throw syscallError(-r, { syscall: 'bpf', command: 'BPF_PROG_TEST_RUN', detail: `prog fd ${o.progFd}` });
  return {
    retval: a.getU32(PROG_TEST_RUN.retval),
    duration: a.getU32(PROG_TEST_RUN.duration),
    dataSizeOut: a.getU32(PROG_TEST_RUN.data_size_out),
    ctxSizeOut: a.getU32(PROG_TEST_RUN.ctx_size_out),
  };
}
