import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { counterProgram, describeKernel, returns } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BpfAttachType,
  BpfLinkType,
  BpfMapType,
  BpfProgType,
  close,
  ensureTracefs,
  fileOpen,
  getpid,
  ioctl,
  linkCreate,
  linkDetach,
  linkInfo,
  linkUpdate,
  mapCreate,
  mapLookupElem,
  O,
  PerfIoctl,
  PerfSample,
  PerfType,
  perfEventOpen,
  progAttach,
  progDetach,
  progInfo,
  progLoad,
  progQuery,
  rawTracepointOpen,
} from '../src/index.js';

const cgroupPath = `/sys/fs/cgroup/unified/ts-ebpf-test-${process.pid}`;
beforeAll(() => {
  ensureTracefs();
  mkdirSync(cgroupPath, { recursive: true });
});
afterAll(() => rmdirSync(cgroupPath));

function count(mapFd: number): bigint {
  const v = new Uint8Array(8);
  mapLookupElem(mapFd, new Uint8Array(4), v);
  return new DataView(v.buffer).getBigUint64(0, true);
}

describeKernel('attach commands', () => {
  it('raw tracepoint open counts sys_enter events until the link closes', () => {
    const map = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const prog = progLoad({ progType: BpfProgType.RAW_TRACEPOINT, insns: counterProgram(map) });
    try {
      const link = rawTracepointOpen('sys_enter', prog);
      for (let i = 0; i < 5; i++) getpid();
      expect(count(map)).toBeGreaterThanOrEqual(5n);
      expect(linkInfo(link)).toMatchObject({ type: BpfLinkType.RAW_TRACEPOINT, progId: progInfo(prog).id });
      close(link);
      const after = count(map);
      for (let i = 0; i < 5; i++) getpid();
      expect(count(map)).toBe(after);
    } finally {
      close(prog);
      close(map);
    }
  });

  it('a tracepoint perf event runs the program through a perf_event link and through ioctl', () => {
    const id = Number(readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id', 'utf8'));
    const map = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const prog = progLoad({ progType: BpfProgType.TRACEPOINT, insns: counterProgram(map) });
    try {
      const pe = perfEventOpen(
        { type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, sampleType: PerfSample.RAW },
        0,
        -1,
      );
      const link = linkCreate({ progFd: prog, targetFd: pe, attachType: BpfAttachType.PERF_EVENT });
      for (let i = 0; i < 3; i++) getpid();
      expect(count(map)).toBeGreaterThanOrEqual(3n);
      close(link);
      close(pe);
      const linked = count(map);
      getpid();
      expect(count(map)).toBe(linked);

      const pe2 = perfEventOpen(
        { type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, disabled: true },
        0,
        -1,
      );
      ioctl(pe2, PerfIoctl.SET_BPF, prog);
      ioctl(pe2, PerfIoctl.ENABLE, 0);
      for (let i = 0; i < 4; i++) getpid();
      expect(count(map) - linked).toBeGreaterThanOrEqual(4n);
      // A tracepoint's BPF program runs for every task until the event is closed.
      ioctl(pe2, PerfIoctl.DISABLE, 0);
      close(pe2);
      const closed = count(map);
      for (let i = 0; i < 3; i++) getpid();
      expect(count(map)).toBe(closed);
    } finally {
      close(prog);
      close(map);
    }
  });

  it('cgroup attach, query and detach with PROG_ATTACH, and a cgroup link that can be updated', () => {
    const cg = fileOpen(cgroupPath, O.O_RDONLY | O.O_DIRECTORY);
    const allow = progLoad({
      progType: BpfProgType.CGROUP_SKB,
      insns: returns(1),
      expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS,
    });
    const allow2 = progLoad({
      progType: BpfProgType.CGROUP_SKB,
      insns: returns(1),
      expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS,
    });
    try {
      progAttach({ targetFd: cg, attachBpfFd: allow, attachType: BpfAttachType.CGROUP_INET_EGRESS });
      const q = progQuery({ targetFd: cg, attachType: BpfAttachType.CGROUP_INET_EGRESS });
      expect(q.progIds).toEqual([progInfo(allow).id]);
      progDetach({ targetFd: cg, attachBpfFd: allow, attachType: BpfAttachType.CGROUP_INET_EGRESS });
      expect(progQuery({ targetFd: cg, attachType: BpfAttachType.CGROUP_INET_EGRESS }).progIds).toEqual([]);

      const link = linkCreate({ progFd: allow, targetFd: cg, attachType: BpfAttachType.CGROUP_INET_EGRESS });
      linkUpdate(link, allow2);
      expect(linkInfo(link).progId).toBe(progInfo(allow2).id);
      expect(progQuery({ targetFd: cg, attachType: BpfAttachType.CGROUP_INET_EGRESS }).progIds).toEqual([
        progInfo(allow2).id,
      ]);
      linkDetach(link);
      expect(progQuery({ targetFd: cg, attachType: BpfAttachType.CGROUP_INET_EGRESS }).progIds).toEqual([]);
      close(link);
    } finally {
      close(allow);
      close(allow2);
      close(cg);
    }
  });
});
