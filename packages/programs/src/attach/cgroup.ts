import {
  BpfAttachFlag,
  BpfQueryFlag,
  close,
  linkCreate,
  type ProgQueryResult,
  progAttach,
  progDetach,
  progQuery,
} from '@ts-ebpf/syscall';
import { holdProgram, Link } from '../link.js';
import type { Program } from '../program.js';
import { type FdTarget, openTarget } from './target-fd.js';

/** How a program is attached to a cgroup. */
export type CgroupAttachMode = 'link' | 'exclusive' | 'override' | 'multi';

/** Options of {@link attachCgroup}. */
export interface CgroupAttachOptions {
  /** `BpfAttachType.CGROUP_*` (default: the program's expected attach type). */
  readonly attachType?: number;
  /**
   * `'link'` (default): a bpf_link; `'multi'`: PROG_ATTACH with BPF_F_ALLOW_MULTI;
   * `'override'`: BPF_F_ALLOW_OVERRIDE; `'exclusive'`: PROG_ATTACH without flags.
   */
  readonly mode?: CgroupAttachMode;
  /** With `'multi'`: atomically replace this program (BPF_F_REPLACE). */
  readonly replace?: Program;
  /** Extra PROG_ATTACH / link flags (BPF_F_PREORDER …). */
  readonly flags?: number;
}

const MODE_FLAGS: Record<Exclude<CgroupAttachMode, 'link'>, number> = {
  exclusive: 0,
  override: BpfAttachFlag.ALLOW_OVERRIDE,
  multi: BpfAttachFlag.ALLOW_MULTI,
};

function attachTypeOf(program: Program, attachType: number | undefined): number {
  const t = attachType ?? program.expectedAttachType;
  if (t === undefined) throw new TypeError('attachType is required: the program has no expected attach type');
  return t;
}

/**
 * Attaches a cgroup program (skb, sock, sock_addr, sock_ops, device, sysctl, sockopt)
 * to a cgroup v2 directory (a path or an open fd). Works for every cgroup attach type.
 */
export function attachCgroup(program: Program, cgroup: FdTarget, o: CgroupAttachOptions = {}): Link {
  const attachType = attachTypeOf(program, o.attachType);
  const target = openTarget(cgroup, true);
  const extraFds = target.owned ? [target.fd] : [];
  try {
    const mode = o.mode ?? 'link';
    if (mode === 'link') {
      const fd = linkCreate({ progFd: program.fd, targetFd: target.fd, attachType, flags: o.flags ?? 0 });
      return new Link({ kind: 'cgroup', fd, extraFds });
    }
    let flags = MODE_FLAGS[mode] | (o.flags ?? 0);
    if (o.replace) flags |= BpfAttachFlag.REPLACE;
    progAttach({
      targetFd: target.fd,
      attachBpfFd: program.fd,
      attachType,
      attachFlags: flags,
      ...(o.replace && { replaceBpfFd: o.replace.fd }),
    });
    // Our own reference to the attached program, for the detach (the caller may close theirs).
    let attached = holdProgram(program);
    return new Link({
      kind: 'cgroup-attach',
      extraFds,
      detach: () => {
        progDetach({ targetFd: target.fd, attachBpfFd: attached.fd, attachType });
        attached.close();
      },
      update: (next) => {
        const nextRef = holdProgram(next);
        try {
          progAttach({
            targetFd: target.fd,
            attachBpfFd: next.fd,
            attachType,
            attachFlags:
              mode === 'multi' ? BpfAttachFlag.ALLOW_MULTI | BpfAttachFlag.REPLACE : MODE_FLAGS[mode],
            ...(mode === 'multi' && { replaceBpfFd: attached.fd }),
          });
        } catch (e) {
          nextRef.close();
          throw e;
        }
        attached.close();
        attached = nextRef;
      },
    });
  } catch (e) {
    if (target.owned) close(target.fd);
    throw e;
  }
}

/** Options of {@link queryCgroup}. */
export interface CgroupQueryOptions {
  /** BPF_F_QUERY_EFFECTIVE: include programs inherited from ancestors. */
  readonly effective?: boolean;
  /** Room for at most this many ids (default 64). */
  readonly maxPrograms?: number;
}

/** Lists the programs attached to a cgroup for one attach type (BPF_PROG_QUERY). */
export function queryCgroup(
  cgroup: FdTarget,
  attachType: number,
  o: CgroupQueryOptions = {},
): ProgQueryResult {
  const target = openTarget(cgroup, true);
  try {
    return progQuery({
      targetFd: target.fd,
      attachType,
      queryFlags: o.effective ? BpfQueryFlag.QUERY_EFFECTIVE : 0,
      ...(o.maxPrograms !== undefined && { maxPrograms: o.maxPrograms }),
    });
  } finally {
    if (target.owned) close(target.fd);
  }
}
