import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { parse } from '@ts-ebpf/dsl';
import { StructOpsTypeError } from '@ts-ebpf/maps';
import {
  BadFileDescriptorError,
  BpfArgumentError,
  BpfAttachType,
  BpfMapType,
  BpfProgType,
  BpfSyscallError,
  close,
  ensureBpffs,
  fileOpen,
  mapCreate,
  NotFoundError,
  O,
  ObjectClosedError,
  PermissionError,
  pinObject,
} from '@ts-ebpf/syscall';
import { catalog, describeKernel, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll } from 'vitest';
import {
  AttachError,
  attachCgroup,
  attachIter,
  attachKprobe,
  attachNetfilter,
  attachNetns,
  attachPerfEvent,
  attachRawTracepoint,
  attachSockmap,
  attachStructOps,
  attachTcClassic,
  attachTcx,
  attachTracepoint,
  attachUprobe,
  attachXdp,
  BtfTargetNotFoundError,
  InterfaceNotFoundError,
  ifindex,
  inNetns,
  kprobeUnsupportedReason,
  type Link,
  LinkOperationError,
  NetlinkError,
  NetnsError,
  NfInetHook,
  NotAProgramError,
  netnsPath,
  ProbeUnsupportedError,
  Program,
  RtNetlink,
  StructOps,
  SymbolNotFoundError,
  TracepointNotFoundError,
  VerifierError,
} from '../src/index.js';
import { closeLink, loadProgram, returns, withProgram } from './helpers.js';

const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-mistakes-${process.pid}`;
const pinDir = `/sys/fs/bpf/ts-ebpf-mistakes-${process.pid}`;
const veth = new VethPair('m', 47);

/** A test's act: attaching a tracepoint program to `category/event`. */
function attachingTracepoint(category: string, event: string): () => void {
  return () => withProgram(BpfProgType.TRACEPOINT, (p) => closeLink(attachTracepoint(p, category, event)));
}

describeKernel('programs: the error catalog', () => {
  beforeAll(() => {
    mkdirSync(cgroup, { recursive: true });
    mkdirSync(pinDir, { recursive: true, mode: 0o700 });
    ensureBpffs();
    veth.create();
  });
  afterAll(() => {
    veth.destroy();
    rmdirSync(cgroup);
    rmSync(pinDir, { recursive: true, force: true });
  });

  catalog([
    {
      what: 'a program type given by name to Program.load',
      act: () => Program.load({ type: 'xdp' as unknown as number, instructions: returns(2) }),
      error: BpfArgumentError,
      names: ['invalid type', "'xdp' is a name", 'BpfProgType.XDP'],
    },
    {
      what: 'a program name the kernel cannot hold',
      act: () => Program.load({ type: BpfProgType.XDP, name: 'has spaces in it', instructions: returns(2) }),
      error: BpfArgumentError,
      names: ['invalid name', '"has spaces in it"'],
    },
    {
      what: 'attachXdp to an interface that does not exist',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, 'eth9'))),
      error: InterfaceNotFoundError,
      names: ["'eth9'"],
      cause: BpfSyscallError,
    },
    {
      what: 'attachXdp to an ifindex no interface has (the kernel said only EINVAL, then ENODEV)',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, 0x7ffffff0))),
      error: InterfaceNotFoundError,
      names: [`ifindex ${0x7ffffff0}`, 'this network namespace'],
    },
    {
      what: 'attachTcx to an ifindex no interface has',
      act: () => withProgram(BpfProgType.SCHED_CLS, (p) => closeLink(attachTcx(p, 0x7ffffff0, 'ingress'))),
      error: InterfaceNotFoundError,
      names: [`ifindex ${0x7ffffff0}`],
    },
    {
      what: 'an interface name over 15 bytes',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, 'a-much-too-long-name0'))),
      error: BpfArgumentError,
      names: ["'a-much-too-long-name0'", '21 bytes', '15'],
    },
    {
      what: 'a socket filter given to attachXdp',
      act: () => withProgram(BpfProgType.SOCKET_FILTER, (p) => closeLink(attachXdp(p, 'lo')), { name: 'sf' }),
      error: AttachError,
      names: ["XDP on 'lo'", "program 'sf'", 'SOCKET_FILTER', 'XDP'],
    },
    {
      what: 'a socket filter given to attachXdp by ifindex (the message names the interface)',
      act: () => withProgram(BpfProgType.SOCKET_FILTER, (p) => closeLink(attachXdp(p, 1)), { name: 'sf' }),
      error: AttachError,
      names: ["XDP on 'lo' (ifindex 1)", "program 'sf'", 'SOCKET_FILTER'],
    },
    {
      what: 'a second XDP program over netlink, by ifindex (kernel EEXIST)',
      act: () => {
        using first = loadProgram(BpfProgType.XDP, { name: 'first_nl' });
        const index = ifindex(veth.host);
        using _link = attachXdp(first, index, { via: 'netlink', mode: 'skb' });
        withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, index, { via: 'netlink', mode: 'skb' })));
      },
      error: AttachError,
      names: [veth.host, "'first_nl'", 'already attached'],
      cause: NetlinkError,
    },
    {
      what: 'an XDP program without multi-buffer support on a veth whose peer has a 9000-byte MTU (kernel ERANGE)',
      act: () => {
        const mtu = (n: number) =>
          execFileSync('ip', ['-n', veth.ns, 'link', 'set', veth.peer, 'mtu', String(n)]);
        mtu(9000);
        try {
          withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, veth.host)));
        } finally {
          mtu(1500);
        }
      },
      error: AttachError,
      names: [veth.host, 'ERANGE', "a veth's: its peer's", 'BPF_F_XDP_HAS_FRAGS'],
      cause: BpfSyscallError,
    },
    {
      what: 'updating a netlink XDP link after Link.detach()',
      act: () =>
        withProgram(BpfProgType.XDP, (p) => {
          using link = attachXdp(p, veth.host, { via: 'netlink', mode: 'skb' });
          link.detach();
          link.update(p);
        }),
      error: ObjectClosedError,
      names: ['closed'],
    },
    {
      what: 'a request on a closed RtNetlink',
      act: () => {
        const nl = new RtNetlink();
        nl.close();
        nl.request('RTM_GETLINK', 18, 0, new Uint8Array(16));
      },
      error: ObjectClosedError,
      names: ['rtnetlink socket'],
    },
    {
      what: 'a netlink message whose length field is not its length',
      act: () => {
        using nl = new RtNetlink();
        const m = new Uint8Array(20);
        new DataView(m.buffer).setUint32(0, 32, true);
        nl.send('RTM_GETLINK', m);
      },
      error: BpfArgumentError,
      names: ['netlink message', 'RTM_GETLINK', '20 bytes', '32'],
    },
    {
      what: 'a devmap XDP program given to attachXdp',
      act: () =>
        withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, 'lo')), {
          expectedAttachType: BpfAttachType.XDP_DEVMAP,
        }),
      error: AttachError,
      names: ["'lo'", 'XDP_DEVMAP'],
    },
    {
      what: 'a second XDP program on an interface (kernel EBUSY)',
      act: () => {
        using first = loadProgram(BpfProgType.XDP, { name: 'first_xdp' });
        using _link = attachXdp(first, veth.host, { mode: 'skb' });
        withProgram(BpfProgType.XDP, (p) => closeLink(attachXdp(p, veth.host, { mode: 'skb' })));
      },
      error: AttachError,
      names: [veth.host, "'first_xdp'", 'already attached'],
      cause: BpfSyscallError,
    },
    {
      what: 'an XDP program given to attachTcx',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachTcx(p, 'lo', 'ingress'))),
      error: AttachError,
      names: ["tcx ingress on 'lo'", 'XDP', 'SCHED_CLS'],
    },
    {
      what: 'an XDP program given to attachCgroup',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachCgroup(p, cgroup))),
      error: AttachError,
      names: [cgroup, 'XDP', 'CGROUP_SKB'],
    },
    {
      what: 'a cgroup program without an attach type',
      act: () => withProgram(BpfProgType.CGROUP_SKB, (p) => closeLink(attachCgroup(p, cgroup))),
      error: BpfArgumentError,
      names: ['attachType', 'CGROUP_SKB', cgroup],
    },
    {
      what: 'attachCgroup to a path that does not exist',
      act: () =>
        withProgram(BpfProgType.CGROUP_SKB, (p) => closeLink(attachCgroup(p, `${cgroup}/no-such-child`)), {
          expectedAttachType: BpfAttachType.CGROUP_INET_INGRESS,
        }),
      error: AttachError,
      names: [`${cgroup}/no-such-child`, 'does not exist'],
    },
    {
      what: 'attachCgroup to a directory that is not a cgroup',
      act: () =>
        withProgram(BpfProgType.CGROUP_SKB, (p) => closeLink(attachCgroup(p, '/tmp')), {
          expectedAttachType: BpfAttachType.CGROUP_INET_INGRESS,
        }),
      error: AttachError,
      // this suite's cgroups live under the cgroup2 mount of the test machines
      names: ["'/tmp'", 'cgroup v2', 'cgroup2 is mounted at /sys/fs/cgroup/unified'],
    },
    {
      what: 'attachCgroup to an fd that is not a cgroup (kernel EBADF)',
      act: () => {
        const fd = fileOpen('/tmp', O.O_RDONLY | O.O_DIRECTORY);
        try {
          withProgram(BpfProgType.CGROUP_SKB, (p) => closeLink(attachCgroup(p, fd)), {
            expectedAttachType: BpfAttachType.CGROUP_INET_INGRESS,
          });
        } finally {
          close(fd);
        }
      },
      error: AttachError,
      names: [/cgroup fd \d+/, 'not a cgroup'],
      cause: BadFileDescriptorError,
    },
    {
      what: 'a multi attach on a cgroup hook held exclusively (kernel EPERM)',
      act: () => {
        const egress = { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS };
        using first = loadProgram(BpfProgType.CGROUP_SKB, egress);
        using _held = attachCgroup(first, cgroup, { mode: 'exclusive' });
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => closeLink(attachCgroup(p, cgroup, { mode: 'multi' })),
          egress,
        );
      },
      error: AttachError,
      names: [cgroup, 'CGROUP_INET_EGRESS', 'another mode'],
      cause: PermissionError,
    },
    {
      what: 'an XDP program given to attachNetns (sk_lookup)',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachNetns(p, '/proc/self/ns/net'))),
      error: AttachError,
      names: ['/proc/self/ns/net', 'XDP', 'SK_LOOKUP'],
    },
    {
      what: 'an XDP program given to attachIter',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachIter(p)), { name: 'not_iter' }),
      error: AttachError,
      names: ["iterator 'not_iter'", 'XDP', 'TRACING'],
    },
    {
      what: 'an XDP program given to attachNetfilter',
      act: () =>
        withProgram(BpfProgType.XDP, (p) => closeLink(attachNetfilter(p, { hook: NfInetHook.LOCAL_IN }))),
      error: AttachError,
      names: ['netfilter', 'XDP', 'NETFILTER'],
    },
    {
      what: 'an XDP program given to attachPerfEvent',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachPerfEvent(p))),
      error: AttachError,
      names: ['perf event', 'XDP', 'PERF_EVENT'],
    },
    {
      what: 'an XDP program given to attachTcClassic',
      act: () => withProgram(BpfProgType.XDP, (p) => closeLink(attachTcClassic(p, 'lo', 'egress'))),
      error: AttachError,
      names: ["tc egress on 'lo'", 'XDP', 'SCHED_CLS'],
    },
    {
      what: 'an XDP program given to attachSockmap',
      act: () => {
        const fd = mapCreate({ mapType: BpfMapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 1 });
        try {
          withProgram(BpfProgType.XDP, (p) => closeLink(attachSockmap(p, fd)));
        } finally {
          close(fd);
        }
      },
      error: AttachError,
      names: [/sockmap fd \d+/, 'XDP', 'SK_MSG'],
    },
    {
      what: 'Program.fromPin of a pinned map',
      act: () => {
        const fd = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
        try {
          pinObject(fd, `${pinDir}/a_map`);
        } finally {
          close(fd);
        }
        try {
          Program.fromPin(`${pinDir}/a_map`).close();
        } finally {
          rmSync(`${pinDir}/a_map`);
        }
      },
      error: NotAProgramError,
      names: [`${pinDir}/a_map`, 'map'],
    },
    {
      what: 'Program.fromFd of a map fd',
      act: () => {
        const fd = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
        try {
          Program.fromFd(fd);
        } finally {
          close(fd);
        }
      },
      error: NotAProgramError,
      names: [/fd \d+ is a map/],
    },
    {
      what: 'Program.fromFd of an fd that is not open',
      act: () => Program.fromFd(1_000_000),
      error: BpfArgumentError,
      names: ['1000000', 'not open'],
    },
    ...(
      [
        ['a tracepoint category that does not exist', 'no_such_cat', 'x', ["'no_such_cat'", 'no_such_cat/x']],
        [
          'a tracepoint that its category does not have',
          'sched',
          'no_such_event',
          ["'sched'", "'no_such_event'"],
        ],
        [
          'a misspelt tracepoint event: the nearest one the category has is named',
          'sched',
          'sched_proces_exec',
          ["'sched_proces_exec'", "did you mean 'sched/sched_process_exec'?"],
        ],
        [
          'a misspelt tracepoint category: the nearest category with that event is named',
          'syscall',
          'sys_enter_getpid',
          ["'syscall'", "did you mean 'syscalls/sys_enter_getpid'?"],
        ],
        [
          'a syscall tracepoint that is no misspelling: no suggestion (sys_enter_mount shares only the prefix)',
          'syscalls',
          'sys_enter_nosuch',
          ["'sys_enter_nosuch'", /^(?![\s\S]*did you mean)/],
        ],
        [
          'a misspelt syscall tracepoint: the syscall of the same prefix is named',
          'syscalls',
          'sys_enter_getpdi',
          ["'sys_enter_getpdi'", "did you mean 'syscalls/sys_enter_getpid'?"],
        ],
      ] as const
    ).map(([what, category, event, names]) => ({
      what,
      act: attachingTracepoint(category, event),
      error: TracepointNotFoundError,
      names,
    })),
    {
      what: 'a path-like tracepoint name',
      act: attachingTracepoint('sched/sched_switch', ''),
      error: BpfArgumentError,
      names: ["'sched/sched_switch'", "('sched', 'sched_switch')"],
    },
    {
      what: 'an XDP program given to attachTracepoint',
      act: () =>
        withProgram(BpfProgType.XDP, (p) => closeLink(attachTracepoint(p, 'syscalls', 'sys_enter_getppid'))),
      error: AttachError,
      names: ['tracepoint syscalls/sys_enter_getppid', 'XDP', 'TRACEPOINT'],
    },
    {
      what: 'a 65th program on one tracepoint (kernel E2BIG)',
      act: () => {
        const programs: Program[] = [];
        const links: Link[] = [];
        try {
          for (let i = 0; i < 65; i++) {
            const p = loadProgram(BpfProgType.TRACEPOINT);
            programs.push(p);
            links.push(attachTracepoint(p, 'syscalls', 'sys_enter_getppid'));
          }
        } finally {
          for (const l of links) l.close();
          for (const p of programs) p.close();
        }
      },
      error: AttachError,
      names: ['tracepoint syscalls/sys_enter_getppid', '64'],
      cause: BpfSyscallError,
    },
    {
      what: 'a raw tracepoint that does not exist (kernel ENOENT)',
      act: () =>
        withProgram(BpfProgType.RAW_TRACEPOINT, (p) => closeLink(attachRawTracepoint(p, 'no_such_raw_tp'))),
      error: AttachError,
      names: ["raw tracepoint 'no_such_raw_tp'"],
      cause: NotFoundError,
    },
    {
      what: 'text given as instructions',
      act: () =>
        Program.load({
          type: BpfProgType.XDP,
          instructions: 'r0 = 0\nexit' as unknown as Uint8Array,
        }).close(),
      error: BpfArgumentError,
      names: ["'r0 = 0'", 'bpf', 'parse()'],
    },
    {
      what: 'instructions whose length is not a multiple of 8',
      act: () =>
        Program.load({ type: BpfProgType.XDP, instructions: new Uint8Array(12), name: 'odd' }).close(),
      error: BpfArgumentError,
      names: ["program 'odd'", '12 bytes', 'multiple of 8'],
    },
    {
      what: 'a program the verifier rejects (out-of-bounds context read)',
      act: () =>
        Program.load({
          type: BpfProgType.XDP,
          name: 'oob_read',
          instructions: parse('r0 = *(u32 *)(r1 + 4096)\nexit'),
        }).close(),
      error: VerifierError,
      names: ["program 'oob_read'", 'instruction 0'],
      cause: BpfSyscallError,
    },
    {
      what: 'testRun of an XDP program with no data',
      act: () => withProgram(BpfProgType.XDP, (p) => p.testRun(), { name: 'x' }),
      error: BpfArgumentError,
      names: ['testRun data', "program 'x'", 'XDP', '14 bytes'],
    },
    {
      what: 'an iterator of an unknown target',
      act: () =>
        Program.load({
          type: BpfProgType.TRACING,
          expectedAttachType: BpfAttachType.TRACE_ITER,
          attachTo: 'no_such_iter',
          instructions: returns(0),
        }).close(),
      error: BtfTargetNotFoundError,
      names: ['bpf_iter_no_such_iter'],
    },
    {
      what: 'fentry on a kernel function that does not exist',
      act: () =>
        Program.load({
          type: BpfProgType.TRACING,
          expectedAttachType: BpfAttachType.TRACE_FENTRY,
          attachTo: 'no_such_kernel_function',
          instructions: returns(0),
        }).close(),
      error: BtfTargetNotFoundError,
      names: ["'no_such_kernel_function'"],
    },
    {
      what: 'a uprobe on a binary that does not exist',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(attachUprobe(p, { path: '/no/such/binary', symbol: 'main' })),
        ),
      error: AttachError,
      names: ["'/no/such/binary'", 'no such file'],
    },
    {
      what: 'a uprobe on a symbol the binary lacks',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(attachUprobe(p, { path: '/usr/bin/true', symbol: 'no_such_symbol_here' })),
        ),
      error: SymbolNotFoundError,
      names: ["'no_such_symbol_here'", '/usr/bin/true'],
    },
    {
      what: 'a uprobe at an offset past the end of the file',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(attachUprobe(p, { path: '/usr/bin/true', offset: 0x7fff0000 })),
        ),
      error: AttachError,
      names: ["'/usr/bin/true'", 'offset 0x7fff0000'],
    },
    {
      what: 'entering a network namespace that was never made',
      act: () => inNetns(netnsPath('tsebpf-no-such-ns'), () => 0),
      error: NetnsError,
      names: ['/var/run/netns/tsebpf-no-such-ns', 'does not exist', 'ip netns add'],
    },
    {
      what: 'entering a file that is not a network namespace',
      act: () => inNetns('/proc/self/ns/mnt', () => 0),
      error: NetnsError,
      names: ['/proc/self/ns/mnt', 'is not a network namespace'],
    },
    {
      what: 'a kprobe on a kernel without kprobes',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) => closeLink(attachKprobe(p, { symbol: 'do_sys_openat2' }))),
      error: ProbeUnsupportedError,
      names: ['kprobe', 'do_sys_openat2'],
      skip: () => (kprobeUnsupportedReason() === undefined ? 'this kernel has kprobes' : undefined),
    },
    {
      what: 'struct_ops of a type the kernel lacks',
      act: () => closeLink(attachStructOps({ type: 'no_such_ops', programs: {} })),
      error: StructOpsTypeError,
      names: ["'no_such_ops'"],
    },
    {
      what: 'a struct_ops program for a member the ops struct lacks',
      act: () =>
        Program.load({
          type: BpfProgType.STRUCT_OPS,
          attachTo: 'tcp_congestion_ops.no_such_member',
          instructions: returns(0),
        }).close(),
      error: StructOpsTypeError,
      names: ["'tcp_congestion_ops'", "'no_such_member'"],
    },
    {
      what: 'a struct_ops program loaded without its member',
      act: () =>
        Program.load({ type: BpfProgType.STRUCT_OPS, name: 'no_member', instructions: returns(0) }).close(),
      error: BpfArgumentError,
      names: ["'no_member'", 'attachTo', 'tcp_congestion_ops.ssthresh'],
    },
    {
      what: 'a struct_ops program loaded for one member given for another',
      act: () => {
        using p = Program.load({
          type: BpfProgType.STRUCT_OPS,
          name: 'for_ssthresh',
          attachTo: 'tcp_congestion_ops.ssthresh',
          instructions: returns(2),
        });
        closeLink(attachStructOps({ type: 'tcp_congestion_ops', programs: { undo_cwnd: p } }));
      },
      error: StructOpsTypeError,
      names: ["'for_ssthresh'", "'ssthresh'", "'undo_cwnd'"],
    },
    {
      what: 'a program of another type given as a struct_ops member',
      act: () =>
        withProgram(BpfProgType.SOCKET_FILTER, (p) =>
          closeLink(attachStructOps({ type: 'tcp_congestion_ops', programs: { ssthresh: p } })),
        ),
      error: StructOpsTypeError,
      names: ["'ssthresh'", 'not BPF_PROG_TYPE_STRUCT_OPS'],
    },
    {
      what: 'a data member given a string too long for it',
      act: () =>
        closeLink(
          attachStructOps({ type: 'tcp_congestion_ops', programs: {}, fields: { name: 'x'.repeat(16) } }),
        ),
      error: BpfArgumentError,
      names: ['tcp_congestion_ops.name', '16 bytes'],
    },
    {
      what: 'replacing the ops of a struct_ops registered by map update',
      act: () => {
        using p = Program.load({
          type: BpfProgType.STRUCT_OPS,
          name: 'ss',
          attachTo: 'tcp_congestion_ops.ssthresh',
          instructions: returns(2),
        });
        using u = Program.load({
          type: BpfProgType.STRUCT_OPS,
          name: 'undo',
          attachTo: 'tcp_congestion_ops.undo_cwnd',
          instructions: returns(2),
        });
        using a = Program.load({
          type: BpfProgType.STRUCT_OPS,
          name: 'avoid',
          attachTo: 'tcp_congestion_ops.cong_avoid',
          instructions: returns(0),
        });
        const programs = { ssthresh: p, undo_cwnd: u, cong_avoid: a };
        const name = `tsebpf_r${process.pid % 10000}`;
        using legacy = StructOps.create({
          type: 'tcp_congestion_ops',
          programs,
          fields: { name },
          link: false,
        });
        using next = StructOps.create({ type: 'tcp_congestion_ops', programs, fields: { name } });
        using link = legacy.register();
        link.replace(next);
      },
      error: LinkOperationError,
      names: ['struct_ops', 'map update'],
    },
  ]);
});
