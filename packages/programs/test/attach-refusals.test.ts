import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import {
  BpfArgumentError,
  BpfAttachType,
  BpfMapType,
  BpfProgType,
  BpfSyscallError,
  close,
  mapCreate,
} from '@ts-ebpf/syscall';
import { catalog, describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AttachError,
  attachCgroup,
  attachNetfilter,
  attachNetkit,
  attachNetns,
  attachRawTracepoint,
  attachSockmap,
  attachTpBtf,
  attachTracepoint,
  attachTracing,
  attachUprobe,
  attachUprobeMulti,
  type Link,
  LinkOperationError,
  NfInetHook,
  NfProto,
  type NfProtoFamily,
  Program,
  TracepointNotFoundError,
} from '../src/index.js';
import { closeLink, returns, textOffset, withProgram } from './helpers.js';

const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-attach-refusals-${process.pid}`;

/** Runs `fn` with two cgroup_skb egress programs (the second named `secondName`), closed after. */
const withTwoEgress = (fn: (p: Program, q: Program) => void, secondName?: string) =>
  withProgram(
    BpfProgType.CGROUP_SKB,
    (p) =>
      withProgram(BpfProgType.CGROUP_SKB, (q) => fn(p, q), {
        expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS,
        name: secondName,
      }),
    { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
  );

/** Loads a TRACING program with this expected attach type against the kernel's `attachTo`. */
const loadTracing = (expectedAttachType: number, attachTo: string) =>
  Program.load({ type: BpfProgType.TRACING, expectedAttachType, attachTo, instructions: returns(0) });

/** Runs `fn` with a map of `mapType` (u32 keys and values), closed after. */
function withMap<T>(mapType: number, fn: (fd: number) => T): T {
  const fd = mapCreate({ mapType, keySize: 4, valueSize: 4, maxEntries: 4 });
  try {
    return fn(fd);
  } finally {
    close(fd);
  }
}

/** A pid no process has: pids are below pid_max. */
const pidMax = () => Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));

const netfilter = (o: Parameters<typeof attachNetfilter>[1]) => () =>
  withProgram(BpfProgType.NETFILTER, (p) => closeLink(attachNetfilter(p, o)), {
    expectedAttachType: BpfAttachType.NETFILTER,
  });

/** Attaches `program`, then `update`s the link with itself, closing the link either way. */
function updateSelf(link: Link, program: Program): void {
  try {
    link.update(program);
  } finally {
    link.close();
  }
}

describeKernel('programs: attach input the kernel refuses, caught or explained', () => {
  beforeAll(() => mkdirSync(cgroup, { recursive: true }));
  afterAll(() => rmdirSync(cgroup));

  catalog([
    {
      what: 'a netfilter priority of INT_MIN (netfilter keeps it; the kernel says ERANGE)',
      act: netfilter({ hook: NfInetHook.LOCAL_IN, priority: -(2 ** 31) }),
      error: BpfArgumentError,
      names: ['netfilter priority', '-2147483648', 'INT_MIN'],
    },
    {
      what: 'a netfilter priority of INT_MAX (conntrack confirm; the kernel says ERANGE)',
      act: netfilter({ hook: NfInetHook.LOCAL_IN, priority: 2 ** 31 - 1 }),
      error: BpfArgumentError,
      names: ['netfilter priority', '2147483647', 'INT_MAX'],
    },
    {
      what: 'a netfilter priority that is no 32-bit integer (it was truncated silently)',
      act: netfilter({ hook: NfInetHook.LOCAL_IN, priority: 2 ** 40 }),
      error: BpfArgumentError,
      names: ['netfilter priority', String(2 ** 40)],
    },
    {
      what: 'a fractional netfilter priority',
      act: netfilter({ hook: NfInetHook.LOCAL_IN, priority: 1.5 }),
      error: BpfArgumentError,
      names: ['netfilter priority', '1.5'],
    },
    {
      what: 'defrag with a priority that runs before defragmentation (the kernel says ERANGE)',
      act: netfilter({ hook: NfInetHook.PRE_ROUTING, priority: -400, defrag: true }),
      error: BpfArgumentError,
      names: ['-400', 'defrag', 'NF_IP_PRI_CONNTRACK_DEFRAG'],
    },
    ...(
      [
        ['NFPROTO_UNSPEC', 0],
        ['NFPROTO_INET', 1],
        ['NFPROTO_ARP', 3],
        ['NFPROTO_NETDEV', 5],
        ['NFPROTO_BRIDGE', 7],
      ] as const
    ).map(([name, pf]) => ({
      what: `netfilter family ${name} (the kernel says EAFNOSUPPORT)`,
      act: netfilter({ hook: NfInetHook.LOCAL_IN, pf: pf as unknown as NfProtoFamily }),
      error: BpfArgumentError,
      names: ['netfilter pf', `${name} (${pf})`, 'NfProto.IPV4', 'NfProto.IPV6'],
    })),
    {
      what: 'a netfilter family that is no NFPROTO_* number',
      act: netfilter({ hook: NfInetHook.LOCAL_IN, pf: 2.5 as unknown as NfProtoFamily }),
      error: BpfArgumentError,
      names: ['netfilter pf', '2.5', 'NfProto.IPV4'],
    },
    {
      what: 'a netfilter hook past POST_ROUTING (the kernel says EPROTO)',
      act: netfilter({ hook: 7 }),
      error: BpfArgumentError,
      names: ['netfilter hook', '7', 'POST_ROUTING'],
    },
    {
      what: 'update() of a netfilter link (the kernel has no swap: EOPNOTSUPP)',
      act: () =>
        withProgram(
          BpfProgType.NETFILTER,
          (p) => updateSelf(attachNetfilter(p, { hook: NfInetHook.LOCAL_IN }), p),
          { expectedAttachType: BpfAttachType.NETFILTER },
        ),
      error: LinkOperationError,
      names: ['update', 'netfilter', 'close this link'],
    },
    {
      what: 'update() of a raw tracepoint link (the kernel has no swap: a bare EINVAL)',
      act: () =>
        withProgram(BpfProgType.RAW_TRACEPOINT, (p) => updateSelf(attachRawTracepoint(p, 'sys_enter'), p)),
      error: LinkOperationError,
      names: ['update', 'raw tracepoint'],
    },
    {
      what: 'an XDP program given to attachTracing (it was blamed on a missing expected attach type)',
      act: () =>
        withProgram(BpfProgType.XDP, (p) => closeLink(attachTracing(p)), {
          expectedAttachType: BpfAttachType.XDP,
          name: 'not_tracing',
        }),
      error: AttachError,
      names: ["program 'not_tracing'", 'XDP', 'TRACING'],
    },
    {
      what: 'an iterator program given to attachTpBtf (kernel EINVAL from RAW_TRACEPOINT_OPEN)',
      act: () => {
        using p = loadTracing(BpfAttachType.TRACE_ITER, 'bpf_map');
        closeLink(attachTpBtf(p));
      },
      error: AttachError,
      names: ['TRACE_ITER', 'TRACE_RAW_TP', 'attachTracing'],
    },
    {
      what: 'update() of a tp_btf link (the kernel has no swap)',
      act: () => {
        using p = loadTracing(BpfAttachType.TRACE_RAW_TP, 'sched_switch');
        updateSelf(attachTpBtf(p), p);
      },
      error: LinkOperationError,
      names: ['update', 'tracing'],
    },
    {
      what: 'a network namespace path that is a directory',
      act: () =>
        withProgram(BpfProgType.SK_LOOKUP, (p) => closeLink(attachNetns(p, '/tmp')), {
          expectedAttachType: BpfAttachType.SK_LOOKUP,
        }),
      error: AttachError,
      names: ["network namespace '/tmp'", 'nsfs'],
    },
    {
      what: 'a namespace file of another kind given as a network namespace (kernel EINVAL)',
      act: () =>
        withProgram(BpfProgType.SK_LOOKUP, (p) => closeLink(attachNetns(p, '/proc/self/ns/mnt')), {
          expectedAttachType: BpfAttachType.SK_LOOKUP,
        }),
      error: AttachError,
      names: ["network namespace '/proc/self/ns/mnt'", 'not a network namespace'],
      cause: BpfSyscallError,
    },
    {
      what: 'an sk_lookup program attached as FLOW_DISSECTOR',
      act: () =>
        withProgram(
          BpfProgType.SK_LOOKUP,
          (p) => closeLink(attachNetns(p, '/proc/self/ns/net', BpfAttachType.FLOW_DISSECTOR)),
          { expectedAttachType: BpfAttachType.SK_LOOKUP },
        ),
      error: AttachError,
      names: ['SK_LOOKUP', 'FLOW_DISSECTOR', 'takes FLOW_DISSECTOR programs'],
    },
    {
      what: 'an sk_msg program attached to a sockmap as STREAM_PARSER',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_MSG, (p) =>
            closeLink(attachSockmap(p, m, { attachType: BpfAttachType.SK_SKB_STREAM_PARSER })),
          ),
        ),
      error: AttachError,
      names: ['sockmap fd', 'SK_MSG', 'SK_SKB_STREAM_PARSER', 'takes SK_SKB programs'],
    },
    {
      what: 'an sk_skb program attached to a sockmap as MSG_VERDICT',
      act: () =>
        withMap(BpfMapType.SOCKHASH, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) =>
            closeLink(attachSockmap(p, m, { attachType: BpfAttachType.SK_MSG_VERDICT })),
          ),
        ),
      error: AttachError,
      names: ['SK_SKB', 'SK_MSG_VERDICT', 'takes SK_MSG programs'],
    },
    {
      what: 'an sk_skb program loaded as a stream parser attached as STREAM_VERDICT (the kernel attaches it)',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(
            BpfProgType.SK_SKB,
            (p) => closeLink(attachSockmap(p, m, { attachType: BpfAttachType.SK_SKB_STREAM_VERDICT })),
            { expectedAttachType: BpfAttachType.SK_SKB_STREAM_PARSER },
          ),
        ),
      error: AttachError,
      names: [
        'sockmap fd',
        'SK_SKB_STREAM_VERDICT',
        'expected attach type SK_SKB_STREAM_PARSER',
        'message length',
      ],
    },
    {
      what: 'an attach type no sockmap has',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) =>
            closeLink(attachSockmap(p, m, { attachType: BpfAttachType.XDP })),
          ),
        ),
      error: BpfArgumentError,
      names: ['attachType', 'XDP', 'SK_SKB_STREAM_PARSER'],
    },
    {
      what: 'an sk_skb program attached to an array map (the kernel says EINVAL, then EOPNOTSUPP)',
      act: () =>
        withMap(BpfMapType.ARRAY, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) => closeLink(attachSockmap(p, m))),
        ),
      error: AttachError,
      names: ['sockmap fd', 'ARRAY', 'SOCKMAP or SOCKHASH'],
    },
    {
      what: 'a second sk_skb verdict program on one sockmap (kernel EBUSY)',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) => {
            using _first = attachSockmap(p, m);
            closeLink(attachSockmap(p, m));
          }),
        ),
      error: AttachError,
      names: ['sockmap fd', 'already attached', 'SK_SKB_STREAM_VERDICT'],
      cause: BpfSyscallError,
    },
    {
      what: 'an SK_SKB_VERDICT program on a sockmap that has a STREAM_VERDICT one (kernel EBUSY)',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) => {
            using _stream = attachSockmap(p, m, { attachType: BpfAttachType.SK_SKB_STREAM_VERDICT });
            closeLink(attachSockmap(p, m, { attachType: BpfAttachType.SK_SKB_VERDICT }));
          }),
        ),
      error: AttachError,
      names: ['SK_SKB_VERDICT or SK_SKB_STREAM_VERDICT', 'exclude each other'],
      cause: BpfSyscallError,
    },
    {
      what: "a sockmap 'via' that is none of the choices",
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) =>
            closeLink(attachSockmap(p, m, { via: 'links' as unknown as 'link' })),
          ),
        ),
      error: BpfArgumentError,
      names: ['via', '"links"', "'auto'"],
    },
    {
      what: "replace with cgroup mode 'link' (it was passed over silently)",
      act: () =>
        withProgram(BpfProgType.CGROUP_SKB, (p) => closeLink(attachCgroup(p, cgroup, { replace: p })), {
          expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS,
        }),
      error: BpfArgumentError,
      names: ['replace', "'link'", 'update()'],
    },
    {
      what: "replace with cgroup mode 'override' (the kernel's EINVAL blamed the attach type)",
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => closeLink(attachCgroup(p, cgroup, { mode: 'override', replace: p })),
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: BpfArgumentError,
      names: ['replace', "'override'", 'ALLOW_MULTI'],
    },
    {
      what: 'a cgroup_skb program attached as CGROUP_INET4_BIND',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => closeLink(attachCgroup(p, cgroup, { attachType: BpfAttachType.CGROUP_INET4_BIND })),
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: AttachError,
      names: [cgroup, 'CGROUP_SKB', 'CGROUP_INET4_BIND', 'takes CGROUP_SOCK_ADDR programs'],
    },
    {
      what: 'a sock_addr program loaded for bind4 attached as connect4',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SOCK_ADDR,
          (p) => closeLink(attachCgroup(p, cgroup, { attachType: BpfAttachType.CGROUP_INET4_CONNECT })),
          { expectedAttachType: BpfAttachType.CGROUP_INET4_BIND, name: 'bind4' },
        ),
      error: AttachError,
      names: ["program 'bind4'", 'CGROUP_INET4_BIND', 'CGROUP_INET4_CONNECT', 'expectedAttachType'],
    },
    {
      what: 'a cgroup_skb program loaded for ingress attached as egress (the kernel took it without an error)',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => closeLink(attachCgroup(p, cgroup, { attachType: BpfAttachType.CGROUP_INET_EGRESS })),
          { expectedAttachType: BpfAttachType.CGROUP_INET_INGRESS, name: 'ingress_only' },
        ),
      error: AttachError,
      names: [
        cgroup,
        "program 'ingress_only'",
        'loaded with expected attach type CGROUP_INET_INGRESS',
        'cannot attach as CGROUP_INET_EGRESS',
        'load it with expectedAttachType CGROUP_INET_EGRESS',
        'without an expectedAttachType to attach it in either direction',
      ],
    },
    {
      what: 'a cgroup_sock program loaded without an expected attach type attached as post_bind4 (the kernel EINVAL left the cause unsaid)',
      act: () =>
        withProgram(BpfProgType.CGROUP_SOCK, (p) =>
          closeLink(attachCgroup(p, cgroup, { attachType: BpfAttachType.CGROUP_INET4_POST_BIND })),
        ),
      error: AttachError,
      names: [
        cgroup,
        'cannot attach as CGROUP_INET4_POST_BIND',
        'expected attach type CGROUP_INET_SOCK_CREATE',
        'loaded without one',
        'load it with expectedAttachType CGROUP_INET4_POST_BIND',
      ],
    },
    {
      what: 'an attach type that is no cgroup one',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => closeLink(attachCgroup(p, cgroup, { attachType: BpfAttachType.XDP })),
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: BpfArgumentError,
      names: ['attachType', 'XDP', 'CGROUP_INET_INGRESS'],
    },
    {
      what: "one program attached twice with mode 'multi' (kernel EINVAL; it was blamed on the attach type)",
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => {
            using _first = attachCgroup(p, cgroup, { mode: 'multi' });
            closeLink(attachCgroup(p, cgroup, { mode: 'multi' }));
          },
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: AttachError,
      names: [cgroup, 'already attached to this hook', "mode 'multi' takes each program once"],
      cause: BpfSyscallError,
    },
    {
      what: "closing an 'exclusive' attachment a later exclusive attach replaced (kernel ENOENT)",
      act: () =>
        withTwoEgress((p, q) => {
          const replaced = attachCgroup(p, cgroup, { mode: 'exclusive' });
          using _later = attachCgroup(q, cgroup, { mode: 'exclusive' });
          replaced.close();
        }),
      error: LinkOperationError,
      names: ['cannot detach a cgroup-attach attachment', cgroup, "a later 'exclusive' attach replaced it"],
      cause: BpfSyscallError,
    },
    {
      what: 'closing a sockmap PROG_ATTACH that was detached already (kernel ENOENT) leaves no fd',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) => {
            const first = attachSockmap(p, m, { via: 'attach' });
            const second = attachSockmap(p, m, { via: 'attach' });
            first.close();
            second.close();
          }),
        ),
      error: BpfSyscallError,
      names: ['BPF_PROG_DETACH', 'ENOENT'],
    },
    {
      what: 'update() of a cgroup link with an oldProgram that is not attached (kernel EPERM)',
      act: () =>
        withTwoEgress((p, q) => {
          using link = attachCgroup(p, cgroup);
          link.update(q, q);
        }, 'not_attached'),
      error: LinkOperationError,
      names: ['cannot update a cgroup attachment', "oldProgram 'not_attached'"],
      cause: BpfSyscallError,
    },
    {
      what: 'update() of a cgroup link with a program of another type (kernel EINVAL)',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) =>
            withProgram(
              BpfProgType.CGROUP_SOCK,
              (q) => {
                using link = attachCgroup(p, cgroup);
                link.update(q);
              },
              { expectedAttachType: BpfAttachType.CGROUP_INET_SOCK_CREATE, name: 'sock_create' },
            ),
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: LinkOperationError,
      names: ['cannot update a cgroup attachment', "'sock_create' (CGROUP_SOCK)", "attached program's type"],
      cause: BpfSyscallError,
    },
    {
      what: 'update() of a legacy cgroup attachment with an oldProgram (it was ignored)',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => {
            using link = attachCgroup(p, cgroup, { mode: 'override' });
            link.update(p, p);
          },
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: LinkOperationError,
      names: ['cgroup-attach', 'oldProgram', 'bpf_links only'],
    },
    {
      what: 'pin() of a legacy cgroup attachment (the message named getting the fd)',
      act: () =>
        withProgram(
          BpfProgType.CGROUP_SKB,
          (p) => {
            using link = attachCgroup(p, cgroup, { mode: 'multi' });
            link.pin('/sys/fs/bpf/ts-ebpf-never-pinned');
          },
          { expectedAttachType: BpfAttachType.CGROUP_INET_EGRESS },
        ),
      error: LinkOperationError,
      names: ['cannot pin a cgroup-attach attachment', 'not a bpf_link'],
    },
    {
      what: 'info() of a legacy sockmap attachment',
      act: () =>
        withMap(BpfMapType.SOCKMAP, (m) =>
          withProgram(BpfProgType.SK_SKB, (p) => {
            using link = attachSockmap(p, m, { via: 'attach' });
            link.info();
          }),
        ),
      error: LinkOperationError,
      names: ['cannot read the info of a sockmap-attach attachment', 'not a bpf_link'],
    },
    {
      what: 'a uprobe_multi offset past the end of the file (kernel EINVAL)',
      act: () =>
        withProgram(
          BpfProgType.KPROBE,
          (p) => closeLink(attachUprobeMulti(p, { path: '/bin/true', offsets: [0x10000000] })),
          { expectedAttachType: BpfAttachType.TRACE_UPROBE_MULTI },
        ),
      error: AttachError,
      names: ["uprobe_multi on '/bin/true'", '0x10000000'],
    },
    {
      what: 'a uprobe at an offset in the ELF header, no executable segment (the kernel takes it; it never fires)',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(attachUprobe(p, { path: '/bin/true', offset: 0x100 })),
        ),
      error: AttachError,
      names: ["uprobe on '/bin/true'", 'offset 0x100', 'not in an executable segment'],
    },
    {
      what: 'a uprobe_multi offset in the ELF header',
      act: () =>
        withProgram(
          BpfProgType.KPROBE,
          (p) => closeLink(attachUprobeMulti(p, { path: '/bin/true', offsets: [textOffset(), 0x100] })),
          { expectedAttachType: BpfAttachType.TRACE_UPROBE_MULTI },
        ),
      error: AttachError,
      names: ["uprobe_multi on '/bin/true'", 'offset 0x100', 'not in an executable segment'],
    },
    {
      what: 'a uprobe for a pid no process has (perf_event_open ESRCH)',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(attachUprobe(p, { path: '/bin/true', offset: textOffset(), pid: pidMax() })),
        ),
      error: AttachError,
      names: [`pid ${pidMax()}`, 'no process'],
      cause: BpfSyscallError,
    },
    {
      what: 'a tracepoint event that does not exist (the message names the tracefs path)',
      act: () =>
        withProgram(BpfProgType.TRACEPOINT, (p) => closeLink(attachTracepoint(p, 'sched', 'no_such_event'))),
      error: TracepointNotFoundError,
      names: ["'sched'", "'no_such_event'", /\/events\/sched\/no_such_event\)$/],
    },
    {
      what: 'a netkit side that is none of the choices (it read as attach type undefined)',
      act: () =>
        withProgram(BpfProgType.SCHED_CLS, (p) =>
          closeLink(attachNetkit(p, 'lo', 'both' as unknown as 'peer')),
        ),
      error: BpfArgumentError,
      names: ['netkit side', '"both"', "'primary'", "'peer'"],
    },
    {
      what: 'a uprobe_multi program loaded without expectedAttachType (kernel EINVAL)',
      act: () =>
        withProgram(BpfProgType.KPROBE, (p) =>
          closeLink(attachUprobeMulti(p, { path: '/bin/true', offsets: [textOffset()] })),
        ),
      error: AttachError,
      names: ["uprobe_multi on '/bin/true'", 'expectedAttachType TRACE_UPROBE_MULTI'],
      cause: BpfSyscallError,
    },
    {
      what: 'a uprobe_multi program loaded as a session, attached as uprobe_multi',
      act: () =>
        withProgram(
          BpfProgType.KPROBE,
          (p) => closeLink(attachUprobeMulti(p, { path: '/bin/true', offsets: [textOffset()] })),
          { expectedAttachType: BpfAttachType.TRACE_UPROBE_SESSION },
        ),
      error: AttachError,
      names: ['TRACE_UPROBE_SESSION', 'expectedAttachType TRACE_UPROBE_MULTI'],
    },
  ]);

  it('the attach types the checks let through still attach (cgroup, sockmap parser, netfilter with defrag)', () => {
    const before = openFds();
    withProgram(
      BpfProgType.CGROUP_SOCK_ADDR,
      (p) => closeLink(attachCgroup(p, cgroup, { attachType: BpfAttachType.CGROUP_INET4_BIND })),
      { expectedAttachType: BpfAttachType.CGROUP_INET4_BIND },
    );
    withProgram(BpfProgType.CGROUP_SKB, (p) => {
      using first = attachCgroup(p, cgroup, { mode: 'multi', attachType: BpfAttachType.CGROUP_INET_EGRESS });
      using second = attachCgroup(p, cgroup, {
        mode: 'multi',
        attachType: BpfAttachType.CGROUP_INET_INGRESS,
      });
      expect([first.kind, second.kind]).toEqual(['cgroup-attach', 'cgroup-attach']);
    });
    withMap(BpfMapType.SOCKMAP, (m) =>
      withProgram(BpfProgType.SK_SKB, (p) => {
        using parser = attachSockmap(p, m, { attachType: BpfAttachType.SK_SKB_STREAM_PARSER });
        parser.update(p);
        expect(parser.info()).toMatchObject({ attachType: 'SK_SKB_STREAM_PARSER' });
      }),
    );
    withMap(BpfMapType.SOCKMAP, (m) =>
      withProgram(
        BpfProgType.SK_SKB,
        (p) => {
          using parser = attachSockmap(p, m);
          expect(parser.info()).toMatchObject({ attachType: 'SK_SKB_STREAM_PARSER' });
        },
        { expectedAttachType: BpfAttachType.SK_SKB_STREAM_PARSER },
      ),
    );
    withProgram(
      BpfProgType.NETFILTER,
      (p) => {
        using l = attachNetfilter(p, { hook: NfInetHook.PRE_ROUTING, priority: -399, defrag: true });
        expect(l.info()).toMatchObject({ type: 'netfilter', priority: -399 });
      },
      { expectedAttachType: BpfAttachType.NETFILTER },
    );
    expect(leakedFds(before)).toEqual([]);
  });

  it('NfProto offers only the families a netfilter link takes, and both attach', () => {
    expect(NfProto).toEqual({ IPV4: 2, IPV6: 10 });
    const before = openFds();
    for (const [family, pf] of Object.entries(NfProto))
      withProgram(
        BpfProgType.NETFILTER,
        (p) => {
          using l = attachNetfilter(p, { pf, hook: NfInetHook.LOCAL_IN, priority: 7 });
          expect(l.info()).toMatchObject({
            type: 'netfilter',
            protocol: family,
            hook: 'LOCAL_IN',
            priority: 7,
          });
        },
        { expectedAttachType: BpfAttachType.NETFILTER },
      );
    expect(leakedFds(before)).toEqual([]);
  });
});
