import type { BpfMap } from '@ts-ebpf/maps';
import {
  attachCgroup,
  attachIter,
  attachKprobe,
  attachNetfilter,
  attachNetns,
  attachPerfEvent,
  attachRawTracepoint,
  attachSockmap,
  attachTcClassic,
  attachTcx,
  attachTracepoint,
  attachTracing,
  attachUprobe,
  attachXdp,
  inNetns,
  type Link,
  type NetnsTarget,
  type Program,
} from '@ts-ebpf/programs';
import type { AttachSpec } from './attach-spec.js';
import { checkAttach } from './define-program.js';
import { DefinitionError } from './errors.js';
import { attachUsdtSites } from './usdt.js';

/** The script's maps by name, for attach kinds that take one (sockmap, iter). */
export type MapLookup = (name: string) => BpfMap<unknown, unknown>;

const cookieOf = (c: bigint | number | undefined) => (c === undefined ? {} : { cookie: c });

/**
 * Runs `attach` in `netns` when given. The attachment is then detached in that namespace from
 * anywhere: a bpf_link is bound to its interface, and a legacy one (a tc filter, XDP over
 * netlink) keeps the netlink socket it was made with, which stays in the namespace it was made in.
 */
function inNamespace(netns: NetnsTarget | undefined, attach: () => Link): Link {
  return netns === undefined ? attach() : inNetns(netns, attach);
}

/** Attaches `program` as `spec` says, with the attach functions of `@ts-ebpf/programs`. */
export function attachProgram(program: Program, spec: AttachSpec, maps: MapLookup): Link {
  switch (spec.kind) {
    case 'xdp':
      return inNamespace(spec.netns, () =>
        attachXdp(program, spec.interface, {
          ...(spec.mode && { mode: spec.mode }),
          ...(spec.via && { via: spec.via }),
        }),
      );
    case 'tcx':
      return inNamespace(spec.netns, () =>
        attachTcx(program, spec.interface, spec.direction, {
          ...(spec.flags !== undefined && { flags: spec.flags }),
          ...(spec.relativeFdOrId !== undefined && { relativeFdOrId: spec.relativeFdOrId }),
          ...(spec.expectedRevision !== undefined && { expectedRevision: spec.expectedRevision }),
        }),
      );
    case 'tc':
      return inNamespace(spec.netns, () =>
        attachTcClassic(program, spec.interface, spec.direction, {
          ...(spec.priority !== undefined && { priority: spec.priority }),
          ...(spec.handle !== undefined && { handle: spec.handle }),
        }),
      );
    case 'kprobe':
    case 'kretprobe':
      return attachKprobe(program, {
        symbol: spec.symbol,
        retprobe: spec.kind === 'kretprobe',
        ...(spec.offset !== undefined && { offset: spec.offset }),
        ...cookieOf(spec.cookie),
      });
    case 'tracepoint':
      return attachTracepoint(program, spec.category, spec.name, {
        ...(spec.pid !== undefined && { pid: spec.pid }),
        ...cookieOf(spec.cookie),
      });
    case 'raw_tp':
      return attachRawTracepoint(program, spec.name, spec.cookie);
    case 'tp_btf':
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
    case 'lsm':
      return attachTracing(program, cookieOf(spec.cookie));
    case 'uprobe':
    case 'uretprobe':
      return attachUprobe(program, {
        path: spec.binary,
        retprobe: spec.kind === 'uretprobe',
        ...(spec.symbol !== undefined && { symbol: spec.symbol }),
        ...(spec.offset !== undefined && { offset: spec.offset }),
        ...(spec.pid !== undefined && { pid: spec.pid }),
        ...cookieOf(spec.cookie),
      });
    case 'usdt':
      return attachUsdtSites(program, spec);
    case 'cgroup':
      return attachCgroup(program, spec.cgroup, {
        ...(spec.attachType !== undefined && { attachType: spec.attachType }),
        ...(spec.mode !== undefined && { mode: spec.mode }),
      });
    case 'sk_lookup':
    case 'flow_dissector':
      return attachNetns(program, spec.netns ?? '/proc/thread-self/ns/net');
    case 'netfilter': {
      const { kind: _kind, netns, ...hook } = spec;
      return inNamespace(netns, () => attachNetfilter(program, hook));
    }
    case 'sockmap':
      return attachSockmap(program, maps(spec.map), {
        ...(spec.attachType !== undefined && { attachType: spec.attachType }),
      });
    case 'perf_event': {
      const { kind: _kind, ...options } = spec;
      return attachPerfEvent(program, options);
    }
    case 'iter':
      return attachIter(program, {
        ...(spec.map !== undefined && { mapFd: maps(spec.map).fd }),
        ...(spec.tid !== undefined && { tid: spec.tid }),
        ...(spec.pid !== undefined && { pid: spec.pid }),
      });
    default: {
      // Reached only by a spec made around the types (JavaScript, a cast): refused, not skipped.
      const subject = `program '${program.name}'`;
      checkAttach(subject, spec, []); // throws for the unknown kind, naming the kinds there are
      throw new DefinitionError(
        subject,
        'attach.kind',
        `'${String((spec as AttachSpec).kind)}' has no attach function`,
      );
    }
  }
}
