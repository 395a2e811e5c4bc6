import { BpfArgumentError, BpfProgType, progTestRun } from '@ts-ebpf/syscall';
import { describeProgram } from './attach/check.js';
import { progTypeLabel } from './names.js';
import type { Program } from './program.js';

/** Options of {@link Program.testRun}. */
export interface TestRunOptions {
  /** Packet (or other input) data. */
  readonly data?: Uint8Array;
  /** Context to run with (`struct __sk_buff`, `struct xdp_md`, …). */
  readonly ctx?: Uint8Array;
  /** Room for the output data (default: input length + 256). */
  readonly dataSizeOut?: number;
  /** Room for the output context (default: the input context's length). */
  readonly ctxSizeOut?: number;
  /** Run this many times; `duration` is the mean. */
  readonly repeat?: number;
  /** `BPF_F_TEST_RUN_ON_CPU`, `BPF_F_TEST_XDP_LIVE_FRAMES`, … */
  readonly flags?: number;
  /** With `BPF_F_TEST_RUN_ON_CPU`: the CPU. */
  readonly cpu?: number;
}

/** What {@link Program.testRun} returned. */
export interface TestRunResult {
  /** The program's return value. */
  readonly retval: number;
  /** Mean run time in nanoseconds. */
  readonly duration: number;
  /** The data as the program left it. */
  readonly data: Uint8Array;
  /** The context after the run, when one was given or asked for. */
  readonly ctx: Uint8Array | undefined;
}

/** The Ethernet header's length: the least test-run data the kernel takes for packet programs. */
const ETH_HLEN = 14;

/** Program types whose test run takes a packet (bpf_prog_test_run_skb / _xdp / _flow_dissector). */
const PACKET_PROGRAM_TYPES: ReadonlySet<number> = new Set([
  BpfProgType.SOCKET_FILTER,
  BpfProgType.SCHED_CLS,
  BpfProgType.SCHED_ACT,
  BpfProgType.CGROUP_SKB,
  BpfProgType.LWT_IN,
  BpfProgType.LWT_OUT,
  BpfProgType.LWT_XMIT,
  BpfProgType.LWT_SEG6LOCAL,
  BpfProgType.XDP,
  BpfProgType.FLOW_DISSECTOR,
]);

/** {@link Program.testRun}: BPF_PROG_TEST_RUN of `program` with `o`. */
export function runTest(program: Program, o: TestRunOptions): TestRunResult {
  checkTestData(program, o.data);
  const dataOut =
    o.data || o.dataSizeOut ? new Uint8Array(o.dataSizeOut ?? (o.data?.byteLength ?? 0) + 256) : undefined;
  // Syscall programs take no ctx_out: the kernel writes the context back into ctx_in.
  const syscallType = program.type === BpfProgType.SYSCALL;
  const ctxIn = syscallType && o.ctx ? o.ctx.slice() : o.ctx;
  const ctxLen = syscallType ? 0 : (o.ctxSizeOut ?? o.ctx?.byteLength ?? 0);
  const ctxOut = ctxLen > 0 ? new Uint8Array(ctxLen) : undefined;
  const r = progTestRun({
    progFd: program.fd,
    ...(o.data && { dataIn: o.data }),
    ...(dataOut && { dataOut }),
    ...(ctxIn && { ctxIn }),
    ...(ctxOut && { ctxOut }),
    ...(o.repeat !== undefined && { repeat: o.repeat }),
    ...(o.flags !== undefined && { flags: o.flags }),
    ...(o.cpu !== undefined && { cpu: o.cpu }),
  });
  return {
    retval: r.retval,
    duration: r.duration,
    data: dataOut ? dataOut.slice(0, Math.min(r.dataSizeOut, dataOut.byteLength)) : new Uint8Array(0),
    ctx: ctxOut
      ? ctxOut.slice(0, Math.min(r.ctxSizeOut, ctxOut.byteLength))
      : syscallType
        ? ctxIn
        : undefined,
  };
}

/** Refuses, before the kernel is asked, too little packet data for a program that runs on packets. */
function checkTestData(program: Program, data: Uint8Array | undefined): void {
  if (!PACKET_PROGRAM_TYPES.has(program.type)) return;
  const length = data?.byteLength ?? 0;
  if (length >= ETH_HLEN) return;
  throw new BpfArgumentError(
    'testRun data',
    `${describeProgram(program)} has type ${progTypeLabel(program.type)}, which runs on a packet: give data of at least ${ETH_HLEN} bytes (an Ethernet header), got ${length}`,
  );
}
