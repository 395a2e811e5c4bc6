/**
 * The attach targets `collection.attach()` takes (an interface, a cgroup, a netns …) and the
 * check that a section's program was given the one it needs, of the right kind.
 */
import type {
  FdTarget,
  Interface,
  IterAttachOptions,
  NetfilterOptions,
  PerfEventOptions,
} from '@ts-ebpf/programs';
import type { ProgramSpec } from './collection-spec.js';
import { AttachOptionsError } from './errors.js';

/**
 * What programs that attach to something outside themselves need. Tracing
 * programs (tracepoints, raw tracepoints, tp_btf, fentry/fexit, lsm, kprobes,
 * uprobes with a `path:function` section, iterators) need nothing.
 */
export interface AttachTargets {
  /** xdp, tc/tcx and netkit programs: the interface name or index. */
  interface?: Interface;
  /** cgroup programs (cgroup/*, cgroup_skb/*, sockops): a cgroup directory or fd. */
  cgroup?: FdTarget;
  /** sk_lookup and flow_dissector programs: a netns path or fd (default: this thread's netns). */
  netns?: FdTarget;
  /** netfilter programs: the hook. */
  netfilter?: NetfilterOptions;
  /** sk_skb / sk_msg programs: the sockmap or sockhash. */
  sockmap?: { readonly fd: number };
  /** socket programs: the socket fd to filter. */
  socket?: number;
  /** perf_event programs: the event to sample. */
  perfEvent?: PerfEventOptions;
  /** uprobe sections without a `path:` part: the binary. */
  uprobePath?: string;
  /**
   * iter programs: the link's parameters (`attachIter`'s options of `@ts-ebpf/programs`): the map
   * of a map-element iterator, a thread or process of a task iterator, or the raw
   * `union bpf_iter_link_info` (`iterLinkInfo` of `@ts-ebpf/dsl-iter` encodes a cgroup and its
   * order). Needed by `iter/cgroup` and the map-element iterators.
   */
  iter?: IterAttachOptions;
}

/** One of the options of {@link AttachTargets}. */
export type Option = keyof AttachTargets;

/** What kind of value each option takes, for the messages. */
const KINDS: Record<Option, { what: string; ok: (v: unknown) => boolean }> = {
  interface: {
    what: 'an interface name or index',
    ok: (v) => typeof v === 'string' || typeof v === 'number',
  },
  cgroup: {
    what: 'a cgroup directory path or fd',
    ok: (v) => typeof v === 'string' || typeof v === 'number',
  },
  netns: {
    what: 'a network namespace path or fd',
    ok: (v) => typeof v === 'string' || typeof v === 'number',
  },
  netfilter: {
    what: 'a netfilter hook ({ pf, hooknum, priority })',
    ok: (v) => typeof v === 'object' && v !== null,
  },
  sockmap: {
    what: 'a sockmap or sockhash (an object with fd)',
    ok: (v) => typeof v === 'object' && v !== null && typeof (v as { fd?: unknown }).fd === 'number',
  },
  socket: { what: 'a socket fd', ok: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 },
  perfEvent: { what: 'a perf event to sample', ok: (v) => typeof v === 'object' && v !== null },
  uprobePath: { what: 'the path of a binary', ok: (v) => typeof v === 'string' && v.length > 0 },
  iter: {
    what: 'iterator parameters ({ mapFd }, { tid }, { pid } or { iterInfo })',
    ok: (v) => typeof v === 'object' && v !== null,
  },
};

/**
 * Iterator targets the kernel cannot attach without parameters: the map-element ones need
 * their map (`bpf_iter_attach_map`: EBADF without), the cgroup one a walk order
 * (`bpf_iter_attach_cgroup`: EINVAL for order 0).
 */
export const ITER_NEEDS_PARAMETERS = new Set(['cgroup', 'bpf_map_elem', 'bpf_sk_storage_map', 'sockmap']);

/** The option the section needs, checked for presence and kind. */
export function need<K extends Option>(
  targets: AttachTargets,
  option: K,
  spec: ProgramSpec,
): NonNullable<AttachTargets[K]> {
  const value = targets[option];
  const kind = KINDS[option];
  if (value === undefined || value === null)
    throw new AttachOptionsError(
      spec.name,
      spec.section,
      option,
      `missing: the section attaches to ${kind.what}`,
    );
  if (!kind.ok(value))
    throw new AttachOptionsError(
      spec.name,
      spec.section,
      option,
      `expected ${kind.what}, got ${typeof value === 'object' ? JSON.stringify(value) : `${typeof value} ${String(value)}`}`,
    );
  return value as NonNullable<AttachTargets[K]>;
}
