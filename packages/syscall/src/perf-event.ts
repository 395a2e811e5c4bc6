import { type ByteOrder, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { type Attr, cString, keepAlive, lazyAttr } from './attr.js';
import { BpfArgumentError } from './errors.js';
import { sysPerfEventOpen } from './ffi/events.js';
import { checkCString, checkInt, checkU32, checkU64 } from './validate.js';

/** `perf_event_attr.type` values (linux/perf_event.h). */
export const PerfType = {
  HARDWARE: 0,
  SOFTWARE: 1,
  TRACEPOINT: 2,
  HW_CACHE: 3,
  RAW: 4,
  BREAKPOINT: 5,
} as const;

/** Software event configs. */
export const PerfSwConfig = {
  CPU_CLOCK: 0,
  TASK_CLOCK: 1,
  PAGE_FAULTS: 2,
  CONTEXT_SWITCHES: 3,
  CPU_MIGRATIONS: 4,
  DUMMY: 9,
  BPF_OUTPUT: 10,
} as const;

/** Hardware event configs. */
export const PerfHwConfig = { CPU_CYCLES: 0, INSTRUCTIONS: 1, CACHE_REFERENCES: 2, CACHE_MISSES: 3 } as const;

/** `sample_type` bits. */
export const PerfSample = {
  IP: 1 << 0,
  TID: 1 << 1,
  TIME: 1 << 2,
  CPU: 1 << 7,
  PERIOD: 1 << 8,
  RAW: 1 << 10,
} as const;

/** perf_event_open flags. */
export const PerfFlag = {
  FD_NO_GROUP: 1 << 0,
  FD_OUTPUT: 1 << 1,
  PID_CGROUP: 1 << 2,
  FD_CLOEXEC: 1 << 3,
} as const;

/** perf ring record types (`perf_event_header.type`). */
export const PerfRecord = { LOST: 2, SAMPLE: 9 } as const;

/** The fields of `struct perf_event_attr` this library uses. */
export interface PerfEventAttr {
  /** `PerfType.*`, or a dynamic PMU type (kprobe/uprobe from /sys/bus/event_source). */
  type: number;
  config?: bigint | number;
  /** Sampling period, or frequency when `freq` is set. */
  samplePeriod?: bigint | number;
  freq?: boolean;
  sampleType?: number;
  readFormat?: number;
  disabled?: boolean;
  inherit?: boolean;
  excludeUser?: boolean;
  excludeKernel?: boolean;
  excludeHv?: boolean;
  /** Wake up after this many bytes (with `watermark`) or this many events. */
  wakeupEvents?: number;
  watermark?: boolean;
  /**
   * `write_backward`: the kernel writes the ring from its end towards its start (each record still
   * in ascending order), `data_head` counting down from 0. With the ring mapped read-only the kernel
   * overwrites the oldest records instead of dropping new ones (an overwritable ring).
   */
  writeBackward?: boolean;
  /** kprobe/uprobe PMUs: the function name or file path (config1 as a string pointer). */
  probeName?: string;
  /**
   * config1, written as given when there is no `probeName`. For the kprobe and uprobe PMUs it is
   * the address of a NUL-terminated name the kernel reads: such an address built by the caller
   * (with `addressOf`) cannot be checked here, and the caller must keep the memory it points at
   * alive, unchanged and NUL-terminated until `perfEventOpen` returns; `probeName` builds it
   * instead, from a string.
   */
  config1?: bigint | number;
  /** kprobe/uprobe PMUs: the offset (config2). */
  config2?: bigint | number;
  precise?: 0 | 1 | 2 | 3;
}

// perf_event_attr, PERF_ATTR_SIZE_VER7 (128 bytes): type @0, size @4, config @8, sample_period @16,
// sample_type @24, read_format @32, flag bits @40, wakeup_events @48, bp_type @52, config1 @56, config2 @64.
const ATTR_SIZE = 128;
const hostAttr = lazyAttr(ATTR_SIZE);
const otherOrder: ByteOrder = HOST_BYTE_ORDER === 'little' ? 'big' : 'little';
// For encoding in the other byte order (tests of the layout): made once, on first use.
const otherAttr = lazyAttr(ATTR_SIZE, otherOrder);

/** Fills `a` with the perf_event_attr for `o` (config1 the address of `probeName` when given). */
/** Refuses an attr that is not an object (a missing one read as a TypeError). */
function checkAttrObject(o: PerfEventAttr): void {
  if (typeof o !== 'object' || o === null)
    throw new BpfArgumentError(
      'attr',
      `expected a PerfEventAttr object, got ${o === null ? 'null' : typeof o}`,
    );
}

function fillPerfEventAttr(a: Attr, o: PerfEventAttr, probeName: Uint8Array | undefined): Attr {
  checkAttrObject(o);
  let bits = 0n;
  const bit = (on: boolean | undefined, n: number) => {
    if (on) bits |= 1n << BigInt(n);
  };
  bit(o.disabled, 0);
  bit(o.inherit, 1);
  bit(o.excludeUser, 4);
  bit(o.excludeKernel, 5);
  bit(o.excludeHv, 6);
  bit(o.freq, 10);
  bit(o.watermark, 14);
  bits |= BigInt(o.precise ?? 0) << 15n;
  bit(o.writeBackward, 27);
  a.reset()
    .u32(0, checkU32(o.type, 'type'))
    .u32(4, ATTR_SIZE)
    .u64(8, checkU64(o.config ?? 0, 'config'))
    .u64(16, checkU64(o.samplePeriod ?? 0, 'samplePeriod'))
    .u64(24, checkU64(o.sampleType ?? 0, 'sampleType'))
    .u64(32, checkU64(o.readFormat ?? 0, 'readFormat'))
    .u64(40, bits)
    .u32(48, checkU32(o.wakeupEvents ?? 0, 'wakeupEvents'))
    .u64(64, checkU64(o.config2 ?? 0, 'config2'));
  if (probeName) a.ptr(56, probeName);
  else a.u64(56, checkU64(o.config1 ?? 0, 'config1'));
  return a;
}

/**
 * The 128 bytes of the `struct perf_event_attr` that {@link perfEventOpen} passes for `o`, in
 * `order` (default the running kernel's): a copy, yours to keep. With `probeName`, config1 holds
 * that buffer's address (valid while it lives).
 */
export function encodePerfEventAttr(
  o: PerfEventAttr,
  probeName?: Uint8Array,
  order: ByteOrder = HOST_BYTE_ORDER,
): Uint8Array {
  const a = order === HOST_BYTE_ORDER ? hostAttr() : otherAttr();
  return fillPerfEventAttr(a, o, probeName).bytes.slice();
}

/**
 * perf_event_open(2): `pid` -1 for all processes (with a cpu), `cpu` -1 for
 * any CPU (with a pid). Returns the event fd (close-on-exec).
 */
export function perfEventOpen(o: PerfEventAttr, pid = -1, cpu = 0, groupFd = -1, flags = 0): number {
  checkAttrObject(o);
  const name = o.probeName === undefined ? undefined : cString(checkCString(o.probeName, 'probeName'));
  const a = fillPerfEventAttr(hostAttr(), o, name);
  const fd = sysPerfEventOpen(
    a.bytes,
    checkInt(pid, 'pid', -1, 0x7fffffff),
    checkInt(cpu, 'cpu', -1, 0xffff),
    checkInt(groupFd, 'groupFd', -1, 0x7fffffff),
    checkU32(flags | PerfFlag.FD_CLOEXEC, 'flags'),
  );
  keepAlive(name);
  return fd;
}
