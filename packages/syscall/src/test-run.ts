import { BpfCmd, BpfProgType, Errno, progTypeName } from '@ts-ebpf/uapi';
import { lazyAttr } from './attr.js';
import { bpfTry } from './bpf.js';
import { BufferSizeError, syscallError } from './errors.js';
import { cachedProgType, rememberProgType } from './fd-cache.js';
import { progInfo } from './info.js';
import { PROG_TEST_RUN } from './layouts.js';
import { checkBuffer, checkFd, checkU32 } from './validate.js';

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

const attr = lazyAttr(PROG_TEST_RUN.SIZE);

const COMMAND = 'BPF_PROG_TEST_RUN';
/** ETH_HLEN: the kernel refuses packet input shorter than an Ethernet header. */
const ETH_HLEN = 14;

// Program types whose test run builds a packet from `dataIn` (bpf_test_init in net/bpf/test_run.c).
const PACKET_TYPES: ReadonlySet<number> = new Set([
  BpfProgType.SOCKET_FILTER,
  BpfProgType.SCHED_CLS,
  BpfProgType.SCHED_ACT,
  BpfProgType.XDP,
  BpfProgType.CGROUP_SKB,
  BpfProgType.LWT_IN,
  BpfProgType.LWT_OUT,
  BpfProgType.LWT_XMIT,
  BpfProgType.LWT_SEG6LOCAL,
  BpfProgType.FLOW_DISSECTOR,
]);

/** The type of the program at `fd`: cached per fd (see fd-cache.ts), read from its info once. */
function progType(fd: number): number {
  let type = cachedProgType(fd);
  if (type === undefined) {
    type = progInfo(fd).type;
    rememberProgType(fd, type);
  }
  return type;
}

/**
 * Checks the buffers of a test run: none detached; an output buffer, when given, not empty (the
 * kernel reads a zero `data_size_out` as "no limit" and would write the whole packet into it);
 * packet input at least an Ethernet header for the program types that need one.
 */
function checkTestRun(o: ProgTestRunAttr): void {
  // Empty inputs are passed as none; detached ones are refused.
  if (o.dataIn) checkBuffer(o.dataIn, COMMAND, 'dataIn', 0);
  if (o.ctxIn) checkBuffer(o.ctxIn, COMMAND, 'ctxIn', 0);
  if (o.dataOut)
    checkBuffer(o.dataOut, COMMAND, 'dataOut', 1, 'an output buffer (empty means no limit to the kernel)');
  if (o.ctxOut) checkBuffer(o.ctxOut, COMMAND, 'ctxOut', 1, 'an output buffer');
  const given = o.dataIn?.byteLength ?? 0;
  if (given < ETH_HLEN) {
    // Only for short input, and the type is cached per fd: a repeated run makes no extra call.
    const type = progType(checkFd(o.progFd, 'progFd'));
    if (PACKET_TYPES.has(type)) {
      throw new BufferSizeError(
        COMMAND,
        'dataIn',
        given,
        ETH_HLEN,
        `program fd ${o.progFd} of type ${progTypeName(type).toLowerCase()} runs on a packet: an Ethernet header`,
      );
    }
  }
}

/**
 * BPF_PROG_TEST_RUN: runs a loaded program once (or `repeat` times) on given input.
 * @throws BufferSizeError for a detached buffer, an empty `dataOut`/`ctxOut`, or packet input
 *   shorter than an Ethernet header for a program type that runs on packets
 */
export function progTestRun(o: ProgTestRunAttr): ProgTestRunResult {
  checkTestRun(o);
  const dataIn = o.dataIn?.byteLength ? o.dataIn : undefined;
  const ctxIn = o.ctxIn?.byteLength ? o.ctxIn : undefined;
  const a = attr().reset();
  a.u32(PROG_TEST_RUN.prog_fd, checkFd(o.progFd, 'progFd'))
    .u32(PROG_TEST_RUN.data_size_in, dataIn?.byteLength ?? 0)
    .u32(PROG_TEST_RUN.data_size_out, o.dataOut?.byteLength ?? 0)
    .ptr(PROG_TEST_RUN.data_in, dataIn ?? null)
    .ptr(PROG_TEST_RUN.data_out, o.dataOut ?? null)
    .u32(PROG_TEST_RUN.repeat, checkU32(o.repeat ?? 0, 'repeat'))
    .u32(PROG_TEST_RUN.ctx_size_in, ctxIn?.byteLength ?? 0)
    .u32(PROG_TEST_RUN.ctx_size_out, o.ctxOut?.byteLength ?? 0)
    .ptr(PROG_TEST_RUN.ctx_in, ctxIn ?? null)
    .ptr(PROG_TEST_RUN.ctx_out, o.ctxOut ?? null)
    .u32(PROG_TEST_RUN.flags, checkU32(o.flags ?? 0, 'flags'))
    .u32(PROG_TEST_RUN.cpu, checkU32(o.cpu ?? 0, 'cpu'))
    .u32(PROG_TEST_RUN.batch_size, checkU32(o.batchSize ?? 0, 'batchSize'));
  // A long repeated run is interrupted by signals (EINTR): run it again, as libbpf callers do.
  let r = bpfTry(BpfCmd.PROG_TEST_RUN, a, PROG_TEST_RUN.SIZE);
  for (let tries = 0; r === -Errno.EINTR && tries < 16; tries++)
    r = bpfTry(BpfCmd.PROG_TEST_RUN, a, PROG_TEST_RUN.SIZE);
  if (r < 0) throw syscallError(-r, { syscall: 'bpf', command: COMMAND, detail: `prog fd ${o.progFd}` });
  return {
    retval: a.getU32(PROG_TEST_RUN.retval),
    duration: a.getU32(PROG_TEST_RUN.duration),
    dataSizeOut: a.getU32(PROG_TEST_RUN.data_size_out),
    ctxSizeOut: a.getU32(PROG_TEST_RUN.ctx_size_out),
  };
}
