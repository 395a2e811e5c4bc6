import { describe, expect, it } from 'vitest';
import {
  BpfAttachType,
  BpfProgType,
  resolveSection,
  SECTION_DEFS,
  sectionDef,
  sectionNamesOf,
  UnknownNameError,
} from '../src/index.js';

describe('libbpf section names', () => {
  it('resolve to program type, expected attach type and target', () => {
    expect(resolveSection('xdp')).toMatchObject({
      progType: BpfProgType.XDP,
      expectedAttachType: BpfAttachType.XDP,
    });
    expect(resolveSection('kprobe/do_unlinkat')).toMatchObject({
      progType: BpfProgType.KPROBE,
      target: 'do_unlinkat',
    });
    expect(resolveSection('tcx/ingress')).toMatchObject({ expectedAttachType: BpfAttachType.TCX_INGRESS });
    expect(resolveSection('netfilter')).toMatchObject({ progType: BpfProgType.NETFILTER });
    expect(resolveSection('.data')).toBeUndefined();
    expect(resolveSection('socket/extra')).toBeUndefined();
  });

  it('every pattern names a known program type and attach type', () => {
    const progTypes = new Set<number>(Object.values(BpfProgType));
    const attachTypes = new Set<number>(Object.values(BpfAttachType));
    for (const d of SECTION_DEFS) {
      expect(progTypes.has(d.progType), d.pattern).toBe(true);
      if (d.expectedAttachType !== undefined)
        expect(attachTypes.has(d.expectedAttachType), d.pattern).toBe(true);
    }
  });

  it('list the names of one program type', () => {
    expect(sectionNamesOf(BpfProgType.SOCKET_FILTER)).toEqual(['socket']);
    expect(sectionNamesOf(BpfProgType.SK_LOOKUP)).toEqual(['sk_lookup']);
    expect(sectionNamesOf(BpfProgType.TRACEPOINT)).toEqual(['tracepoint', 'tracepoint/', 'tp', 'tp/']);
  });

  it('sectionDef throws for a name no convention knows, suggesting the nearest', () => {
    expect(sectionDef('cgroup/connect4').expectedAttachType).toBe(BpfAttachType.CGROUP_INET4_CONNECT);
    expect(() => sectionDef('xpd')).toThrow(UnknownNameError);
    expect(() => sectionDef('xpd')).toThrow("unknown section name 'xpd'; did you mean 'xdp'?");
  });
});

describe("the section table of current libbpf (1.7's section_defs)", () => {
  const P = BpfProgType;
  const A = BpfAttachType;
  // section name → [program type, expected attach type, sleepable]
  const cases: [string, number, number | undefined, boolean][] = [
    ['ksyscall/getpid', P.KPROBE, undefined, false],
    ['kretsyscall/getpid', P.KPROBE, undefined, false],
    ['uprobe.s//bin/true:main', P.KPROBE, undefined, true],
    ['uretprobe.s//bin/true:main', P.KPROBE, undefined, true],
    ['uprobe.multi//bin/true:ma*', P.KPROBE, A.TRACE_UPROBE_MULTI, false],
    ['uretprobe.multi.s//bin/true:main', P.KPROBE, A.TRACE_UPROBE_MULTI, true],
    ['uprobe.session//bin/true:main', P.KPROBE, A.TRACE_UPROBE_SESSION, false],
    ['kprobe.multi/do_*', P.KPROBE, A.TRACE_KPROBE_MULTI, false],
    ['kprobe.session/do_*', P.KPROBE, A.TRACE_KPROBE_SESSION, false],
    ['usdt//bin/true:provider:name', P.KPROBE, undefined, false],
    ['usdt.s//bin/true:provider:name', P.KPROBE, undefined, true],
    ['tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, false],
    ['tc/egress', P.SCHED_CLS, A.TCX_EGRESS, false],
    ['tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, false],
    ['tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, false],
    ['netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, false],
    ['netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, false],
    ['fentry.s/do_unlinkat', P.TRACING, A.TRACE_FENTRY, true],
    ['fexit.s/do_unlinkat', P.TRACING, A.TRACE_FEXIT, true],
    ['fmod_ret.s/do_unlinkat', P.TRACING, A.MODIFY_RETURN, true],
    ['fsession/do_unlinkat', P.TRACING, A.TRACE_FSESSION, false],
    ['fsession.s/do_unlinkat', P.TRACING, A.TRACE_FSESSION, true],
    ['lsm.s/file_open', P.LSM, A.LSM_MAC, true],
    ['lsm_cgroup/socket_bind', P.LSM, A.LSM_CGROUP, false],
    ['iter.s/task', P.TRACING, A.TRACE_ITER, true],
    ['cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, false],
    ['cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, false],
    ['cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, false],
    ['cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, false],
    ['cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, false],
    ['sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, false],
    ['sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, false],
    ['struct_ops/ssthresh', P.STRUCT_OPS, undefined, false],
    ['struct_ops.s/ssthresh', P.STRUCT_OPS, undefined, true],
    ['syscall', P.SYSCALL, undefined, true],
    ['netfilter', P.NETFILTER, A.NETFILTER, false],
    ['xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, false],
  ];
  it.each(cases)('%s', (name, progType, expectedAttachType, sleepable) => {
    const def = sectionDef(name);
    expect(def.progType).toBe(progType);
    expect(def.expectedAttachType).toBe(expectedAttachType);
    expect(def.sleepable ?? false).toBe(sleepable);
  });

  it('names match exactly or at a slash, as in libbpf', () => {
    expect(resolveSection('tc')?.expectedAttachType).toBeUndefined();
    expect(resolveSection('tc/other')).toBeUndefined();
    expect(resolveSection('tcx')).toBeUndefined();
    expect(resolveSection('uprobe.sx/f')).toBeUndefined();
    expect(resolveSection('fsessions/f')).toBeUndefined();
  });
});
