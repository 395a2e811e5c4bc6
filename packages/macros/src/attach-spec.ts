import type {
  CgroupAttachMode,
  FdTarget,
  Interface,
  NetfilterOptions,
  NetnsTarget,
  PerfEventOptions,
  TcDirection,
  XdpMode,
} from '@ts-ebpf/programs';

/** A network namespace to attach in (a path such as `/run/netns/x`, or an fd); default this thread's. */
interface InNetns {
  /** Attach inside this network namespace (the interface or hook is looked up there). */
  readonly netns?: NetnsTarget;
}

/** XDP on an interface (`attachXdp`). */
export interface XdpAttach extends InNetns {
  readonly kind: 'xdp';
  /** Interface name or index. */
  readonly interface: Interface;
  /** `'skb'` (generic), `'drv'` (native) or `'hw'`; default: the kernel's choice. */
  readonly mode?: XdpMode;
  /** `'link'`, `'netlink'` or `'auto'` (default: a bpf_link, netlink where links are missing). */
  readonly via?: 'link' | 'netlink' | 'auto';
}

/** A tcx hook (bpf_link, kernel 6.6+; `attachTcx`). */
export interface TcxAttach extends InNetns {
  readonly kind: 'tcx';
  readonly interface: Interface;
  readonly direction: TcDirection;
  /** `BPF_F_BEFORE` / `BPF_F_AFTER` / `BPF_F_REPLACE` … with `relativeFdOrId`. */
  readonly flags?: number;
  /** The program or link placed relative to. */
  readonly relativeFdOrId?: number;
  /** Fail unless the hook is at this revision. */
  readonly expectedRevision?: bigint | number;
}

/** Classic tc: clsact qdisc (added if missing, removed on detach if added) and a cls_bpf filter (`attachTcClassic`). */
export interface TcAttach extends InNetns {
  readonly kind: 'tc';
  readonly interface: Interface;
  readonly direction: TcDirection;
  /** Filter priority (default 1). */
  readonly priority?: number;
  /** Filter handle (default 1). */
  readonly handle?: number;
}

/** A kprobe or kretprobe on a kernel function (`attachKprobe`). */
export interface KprobeAttach {
  readonly kind: 'kprobe' | 'kretprobe';
  /** Kernel function. */
  readonly symbol: string;
  /** Bytes after the function's start (kprobe only). */
  readonly offset?: number;
  readonly cookie?: bigint | number;
}

/** A tracepoint `category/name` (`attachTracepoint`). */
export interface TracepointAttach {
  readonly kind: 'tracepoint';
  /** e.g. `'syscalls'`. */
  readonly category: string;
  /** e.g. `'sys_enter_write'`. */
  readonly name: string;
  /** Only this process (default every process). */
  readonly pid?: number;
  readonly cookie?: bigint | number;
}

/** A raw tracepoint (`attachRawTracepoint`). */
export interface RawTracepointAttach {
  readonly kind: 'raw_tp';
  /** e.g. `'sys_enter'`. */
  readonly name: string;
  readonly cookie?: bigint | number;
}

/**
 * A BTF-attached tracing program: `tp_btf`, `fentry`, `fexit`, `fmod_ret`, `lsm`
 * (`attachTracing`). The target is the one the program was loaded for (`attachTo`).
 */
export interface TracingAttach {
  readonly kind: 'tp_btf' | 'fentry' | 'fexit' | 'fmod_ret' | 'lsm';
  readonly cookie?: bigint | number;
}

/** A uprobe or uretprobe on a binary's function or file offset (`attachUprobe`). */
export interface UprobeAttach {
  readonly kind: 'uprobe' | 'uretprobe';
  /** Path of the executable or shared library. */
  readonly binary: string;
  /** A function, resolved to a file offset from the file's ELF symbols … */
  readonly symbol?: string;
  /** … or a file offset (with `symbol`: bytes after it). */
  readonly offset?: number | bigint;
  /** Only in this process (default every process that maps the file). */
  readonly pid?: number;
  readonly cookie?: bigint | number;
}

/**
 * A USDT probe (`provider:name` in the binary's `.note.stapsdt`): the program runs at every
 * site of the probe, and the probe's semaphore (if any) is raised while attached. A program
 * built here does not get the probe's arguments decoded; for `bpf_usdt_arg()` use a C object
 * with libbpf's `usdt.bpf.h` through `script.fromObject`.
 */
export interface UsdtAttach {
  readonly kind: 'usdt';
  readonly binary: string;
  readonly provider: string;
  readonly name: string;
  readonly pid?: number;
  readonly cookie?: bigint | number;
}

/** A cgroup hook (`attachCgroup`). */
export interface CgroupAttach {
  readonly kind: 'cgroup';
  /** The cgroup directory (cgroup v2) or an fd of it. */
  readonly cgroup: FdTarget;
  /** `BpfAttachType.CGROUP_*` (default the program's expected attach type). */
  readonly attachType?: number;
  /** `'link'` (default), `'multi'`, `'override'` or `'exclusive'`. */
  readonly mode?: CgroupAttachMode;
}

/** sk_lookup or flow_dissector programs: a network namespace (`attachNetns`). */
export interface NetnsAttach {
  readonly kind: 'sk_lookup' | 'flow_dissector';
  /** A netns path (`/run/netns/x`) or fd (default this thread's, `/proc/self/ns/net`). */
  readonly netns?: NetnsTarget;
}

/** A netfilter hook (`attachNetfilter`). */
export interface NetfilterAttach extends InNetns, NetfilterOptions {
  readonly kind: 'netfilter';
}

/**
 * `sk_msg` / `sk_skb` programs on a sockmap or sockhash of the script, named as the script's
 * maps are (`attachSockmap`).
 */
export interface SockmapAttach<MapName extends string = string> {
  readonly kind: 'sockmap';
  /** The script's sockmap or sockhash. */
  readonly map: MapName;
  /** `SK_MSG_VERDICT`, `SK_SKB_STREAM_VERDICT` … (default from the program type). */
  readonly attachType?: number;
}

/** A sampling perf event on every CPU (`attachPerfEvent`). */
export interface PerfEventAttach extends PerfEventOptions {
  readonly kind: 'perf_event';
}

/** An iterator link (`attachIter`); open runs with `s.links.<name>.open()`. */
export interface IterAttach<MapName extends string = string> {
  readonly kind: 'iter';
  /** Map element iterators: the script's map to walk. */
  readonly map?: MapName;
  /** Task iterators: only this thread … */
  readonly tid?: number;
  /** … or only the threads of this process. */
  readonly pid?: number;
}

/**
 * Where a program attaches: one member per attach kind, told apart by `kind`. Maps of the
 * script are named by their key in the script's `maps` (type-checked).
 */
export type AttachSpec<MapName extends string = string> =
  | XdpAttach
  | TcxAttach
  | TcAttach
  | KprobeAttach
  | TracepointAttach
  | RawTracepointAttach
  | TracingAttach
  | UprobeAttach
  | UsdtAttach
  | CgroupAttach
  | NetnsAttach
  | NetfilterAttach
  | SockmapAttach<MapName>
  | PerfEventAttach
  | IterAttach<MapName>;

/** The attach kinds (`AttachSpec['kind']`). */
export type AttachKind = AttachSpec['kind'];
