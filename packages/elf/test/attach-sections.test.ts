import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachError,
  type IterLink,
  kprobeUnsupportedReason,
  ProbeUnsupportedError,
  queryCgroup,
  queryTcx,
} from '@ts-ebpf/programs';
import { BpfAttachType } from '@ts-ebpf/syscall';
import { describeKernel, thrownBy, VethPair } from '@ts-ebpf/test-utils';
import { BpfCgroupIterOrder } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttachOptionsError, loadCollection, SectionAttachError } from '../src/index.js';
import { compileFixture } from './compile.js';

const object = compileFixture('sections.bpf.c');
const veth = new VethPair('sec', 53);
const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-sections-${process.pid}`;
let dir = '';
let target = '';

describeKernel('auto-attach by the section names of current libbpf', () => {
  beforeAll(() => {
    veth.create();
    mkdirSync(cgroup, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-sections-'));
    target = join(dir, 'uprobe-target');
    execFileSync('gcc', ['-O2', '-o', target, new URL('./corpus/uprobe-target.c', import.meta.url).pathname]);
  }, 60_000);
  afterAll(() => {
    veth.destroy();
    rmdirSync(cgroup);
    rmSync(dir, { recursive: true, force: true });
  });

  it('tc/ingress, tc/egress and tcx/egress make tcx links on the interface given', () => {
    const names = ['tc_in', 'tc_out', 'tcx_out'];
    using c = loadCollection(object, { programs: names });
    const links = c.attach({ interface: veth.host }, names);
    expect(links.map((l) => l.kind)).toEqual(['tcx', 'tcx', 'tcx']);
    const id = (name: string) => c.program(name).info().id;
    expect(queryTcx(veth.host, 'ingress').progIds).toEqual([id('tc_in')]);
    expect(queryTcx(veth.host, 'egress').progIds.sort()).toEqual([id('tc_out'), id('tcx_out')].sort());
  });

  it("bare tc and xdp/devmap are refused with the reason; netkit/primary with the kernel's", () => {
    using c = loadCollection(object, { programs: ['legacy_tc', 'from_devmap', 'nk_primary'] });
    expect(() => c.attach({ interface: veth.host }, ['legacy_tc'])).toThrow(SectionAttachError);
    expect(() => c.attach({ interface: veth.host }, ['legacy_tc'])).toThrow(/does not say ingress or egress/);
    expect(() => c.attach({ interface: veth.host }, ['from_devmap'])).toThrow(
      /runs from devmap or cpumap entries/,
    );
    // This kernel has no CONFIG_NETKIT, and a veth is no netkit device: the kernel's refusal, explained.
    expect(() => c.attach({ interface: veth.host }, ['nk_primary'])).toThrow(AttachError);
    expect(() => c.attach({ interface: veth.host }, ['nk_primary'])).toThrow(
      /program nk_primary \(section netkit\/primary\): cannot attach to netkit primary on .*must be a netkit device/,
    );
  });

  it('the cgroup/*_unix family attaches to the cgroup given', () => {
    const names = [
      ['c_connect_unix', BpfAttachType.CGROUP_UNIX_CONNECT],
      ['c_sendmsg_unix', BpfAttachType.CGROUP_UNIX_SENDMSG],
      ['c_recvmsg_unix', BpfAttachType.CGROUP_UNIX_RECVMSG],
      ['c_getpeername_unix', BpfAttachType.CGROUP_UNIX_GETPEERNAME],
      ['c_getsockname_unix', BpfAttachType.CGROUP_UNIX_GETSOCKNAME],
    ] as const;
    using c = loadCollection(object, { programs: names.map(([n]) => n) });
    c.attach({ cgroup });
    for (const [name, attachType] of names)
      expect(queryCgroup(cgroup, attachType).progIds, name).toEqual([c.program(name).info().id]);
  });

  it('uprobe.s, uprobe.multi (a glob), uretprobe.multi and uprobe.session count the calls of a gcc-built binary', () => {
    const names = ['on_call_sleepable', 'on_call_multi', 'on_return_multi', 'on_session'];
    using c = loadCollection(object, { programs: names });
    const links = c.attach({ uprobePath: target });
    expect(links.map((l) => l.kind)).toEqual(['uprobe', 'uprobe_multi', 'uprobe_multi', 'uprobe_multi']);
    execFileSync(target, ['5']);
    const v = (name: string) => c.variable(name).getBigInt();
    expect(v('sleepable_calls')).toBe(5n);
    expect(v('multi_calls')).toBe(5n); // corpus_* matches corpus_target only
    expect(v('multi_returns')).toBe(5n);
    expect(v('session_runs')).toBe(10n); // a session program runs at entry and at return
  });

  it('a uprobe.multi glob that matches nothing is refused naming the binary', () => {
    using c = loadCollection(object, { programs: ['on_call_multi'] });
    expect(() => c.attach({ uprobePath: '/bin/true' })).toThrow(
      /no function of \/bin\/true matches 'corpus_\*'/,
    );
  });

  it('ksyscall, kretsyscall and kprobe.multi are refused with the probe reason on a kernel without kprobes', () => {
    const reason = kprobeUnsupportedReason();
    // This machine's kernel has no CONFIG_KPROBES: what the refusal says is the point here.
    expect(reason).toMatch(/CONFIG_KPROBES/);
    using c = loadCollection(object, { programs: ['ks_getpid', 'krs_getpid', 'km_unlinkat'] });
    const arch = process.arch === 'x64' ? '__x64_sys_getpid' : /sys_getpid/;
    expect(() => c.attach({}, ['ks_getpid'])).toThrow(ProbeUnsupportedError);
    expect(() => c.attach({}, ['ks_getpid'])).toThrow(arch);
    expect(() => c.attach({}, ['krs_getpid'])).toThrow(
      /program krs_getpid \(section kretsyscall\/getpid\).*CONFIG_KPROBES/,
    );
    expect(() => c.attach({}, ['km_unlinkat'])).toThrow(ProbeUnsupportedError);
    expect(() => c.attach({}, ['km_unlinkat'])).toThrow(/do_unlinkat.*CONFIG_FPROBE/);
  });

  it('iter programs take the link parameters in targets.iter; iter/cgroup needs them', () => {
    using c = loadCollection(compileFixture('iter.bpf.c'));
    // Before: iter/cgroup attached without parameters and the kernel answered a bare EINVAL.
    const error = thrownBy(() => c.attach({}, ['cgroups']));
    expect(error).toBeInstanceOf(AttachOptionsError);
    expect((error as Error).message).toMatch(
      /program cgroups \(section iter\/cgroup\): attach option 'iter': missing/,
    );
    // Before: targets.iter was ignored and the task iterator walked every task.
    const [link] = c.attach({ iter: { pid: process.pid } }, ['tasks']) as [IterLink];
    const records = link!.open().readAll().byteLength / 4;
    expect(records).toBeGreaterThan(0);
    expect(records).toBeLessThanOrEqual(readdirSync('/proc/self/task').length + 2);
    const all = c.attach({}, ['tasks'])[0] as IterLink;
    expect(all.open().readAll().byteLength / 4).toBeGreaterThan(records);
    // A cgroup iterator with its parameters (order SELF_ONLY, the cgroup by fd) as raw link info.
    const fd = openSync(cgroup, 'r');
    try {
      const info = new Uint8Array(16);
      new DataView(info.buffer).setUint32(0, BpfCgroupIterOrder.SELF_ONLY, true);
      new DataView(info.buffer).setUint32(4, fd, true);
      const [cg] = c.attach({ iter: { iterInfo: info } }, ['cgroups']) as [IterLink];
      expect(cg!.open().readAll().byteLength).toBe(0);
    } finally {
      closeSync(fd);
    }
  });
});
