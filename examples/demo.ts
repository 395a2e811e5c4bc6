/**
 * ts-ebpf demo: loads real programs into this kernel and prints what they see.
 *
 *   npm run demo
 *
 * 1. A raw tracepoint program on `sys_enter` counts every system call made on
 *    the machine into a per-CPU array, indexed by nothing but "all".
 * 2. The same program shape counts this process's getpid() calls through a
 *    `syscalls/sys_enter_getpid` tracepoint attached with a perf-event link.
 * 3. An XDP program is test-run on a packet and returns XDP_PASS.
 */
import { readFileSync } from 'node:fs';
import {
  BpfAttachType,
  BpfMapType,
  BpfProgType,
  close,
  ensureTracefs,
  getpid,
  kernelVersion,
  linkCreate,
  mapCreate,
  mapLookupElem,
  PerfType,
  perfEventOpen,
  possibleCpuCount,
  progInfo,
  progLoad,
  progTestRun,
  rawTracepointOpen,
  XdpAction,
} from '@ts-ebpf/syscall';

function insn(opcode: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, opcode);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

/** r0 = &map[0]; if r0: *r0 += 1 (atomic); return 0. */
function counterProgram(mapFd: number): Uint8Array {
  return new Uint8Array([
    ...insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    ...insn(0xbf, 2, 10, 0, 0), // r2 = r10
    ...insn(0x07, 2, 0, 0, -4), // r2 += -4
    ...insn(0x18, 1, 1, 0, mapFd), // r1 = map_fd ll
    ...insn(0x00, 0, 0, 0, 0),
    ...insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    ...insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    ...insn(0xb7, 1, 0, 0, 1), // r1 = 1
    ...insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    ...insn(0xb7, 0, 0, 0, 0), // r0 = 0
    ...insn(0x95, 0, 0, 0, 0), // exit
  ]);
}

function sum(mapFd: number, perCpu: boolean): bigint {
  const cpus = perCpu ? possibleCpuCount() : 1;
  const value = new Uint8Array(8 * cpus);
  mapLookupElem(mapFd, new Uint8Array(4), value);
  const v = new DataView(value.buffer);
  let total = 0n;
  for (let c = 0; c < cpus; c++) total += v.getBigUint64(c * 8, true);
  return total;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

console.log(`ts-ebpf demo on Linux ${kernelVersion().release} (${process.arch}), ${possibleCpuCount()} CPUs`);

// 1. every system call on the machine, per CPU
const perCpu = mapCreate({
  mapType: BpfMapType.PERCPU_ARRAY,
  keySize: 4,
  valueSize: 8,
  maxEntries: 1,
  mapName: 'sys_count',
});
const rawProg = progLoad({
  progType: BpfProgType.RAW_TRACEPOINT,
  insns: counterProgram(perCpu),
  progName: 'count_sys',
});
const rawLink = rawTracepointOpen('sys_enter', rawProg);
console.log(
  `loaded raw_tracepoint program id ${progInfo(rawProg).id} (tag ${progInfo(rawProg).tag}) on sys_enter`,
);
let last = 0n;
for (let i = 1; i <= 5; i++) {
  await sleep(200);
  const now = sum(perCpu, true);
  console.log(`  after ${i * 200} ms: ${now} system calls (+${now - last})`);
  last = now;
}
close(rawLink);
close(rawProg);
close(perCpu);

// 2. getpid() calls through a tracepoint and a perf-event link
ensureTracefs();
const id = Number(readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id', 'utf8'));
const counter = mapCreate({
  mapType: BpfMapType.ARRAY,
  keySize: 4,
  valueSize: 8,
  maxEntries: 1,
  mapName: 'getpid',
});
const tpProg = progLoad({
  progType: BpfProgType.TRACEPOINT,
  insns: counterProgram(counter),
  progName: 'count_getpid',
});
const event = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, samplePeriod: 1 }, 0, -1);
const link = linkCreate({ progFd: tpProg, targetFd: event, attachType: BpfAttachType.PERF_EVENT });
for (let i = 0; i < 1000; i++) getpid();
console.log(
  `tracepoint syscalls/sys_enter_getpid saw ${sum(counter, false)} calls after this process made 1000`,
);
close(link);
close(event);
close(tpProg);
close(counter);

// 3. XDP test run
const xdp = progLoad({
  progType: BpfProgType.XDP,
  insns: new Uint8Array([...insn(0xb7, 0, 0, 0, XdpAction.PASS), ...insn(0x95, 0, 0, 0, 0)]),
});
const run = progTestRun({ progFd: xdp, dataIn: new Uint8Array(64), repeat: 1000 });
console.log(
  `xdp test run: action ${run.retval === XdpAction.PASS ? 'XDP_PASS' : run.retval}, ${run.duration} ns per run`,
);
close(xdp);
