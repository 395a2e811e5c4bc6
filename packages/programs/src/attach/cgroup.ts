import {
  BpfArgumentError,
  BpfAttachFlag,
  BpfQueryFlag,
  close,
  dupFd,
  linkCreate,
  type ProgQueryResult,
  progAttach,
  progDetach,
  progQuery,
} from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { holdProgram, Link, LinkOperationError } from '../link.js';
import { attachTypeLabel, progTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { CGROUP_ATTACH_PROGRAM, requireAttachTypeFits } from './attach-type-owner.js';
import { describeProgram, isErrno, requireAttachType, requireCgroupDir, requireChoice } from './check.js';
import { requireAttachKind } from './kinds.js';
import { type FdTarget, openTarget } from './target-fd.js';

/** How a program is attached to a cgroup. */
export type CgroupAttachMode = 'link' | 'exclusive' | 'override' | 'multi';

/** Options of {@link attachCgroup}. */
export interface CgroupAttachOptions {
  /**
   * `BpfAttachType.CGROUP_*` (default: the program's expected attach type, or the one attach type
   * of its program type: sock_ops, device and sysctl programs have one each).
   */
  readonly attachType?: number;
  /**
   * `'link'` (default): a bpf_link; `'multi'`: PROG_ATTACH with BpfAttachFlag.ALLOW_MULTI;
   * `'override'`: BpfAttachFlag.ALLOW_OVERRIDE; `'exclusive'`: PROG_ATTACH without flags.
   * What `'exclusive'` excludes is the cgroups below: none of them may attach a program of
   * this attach type. The cgroup itself holds one such program, and a later `'exclusive'` attach
   * there replaces it without an error, as the kernel does (another mode is refused: EPERM); the
   * replaced attachment's `close()` then says so.
   */
  readonly mode?: CgroupAttachMode;
  /**
   * With `'multi'` only: atomically replace this program (BpfAttachFlag.REPLACE); other modes
   * refuse it (a link's program is swapped with `link.update()`).
   */
  readonly replace?: Program;
  /** Extra PROG_ATTACH / link flags (BPF_F_PREORDER …). */
  readonly flags?: number;
}

const MODE_FLAGS: Record<Exclude<CgroupAttachMode, 'link'>, number> = {
  exclusive: 0,
  override: BpfAttachFlag.ALLOW_OVERRIDE,
  multi: BpfAttachFlag.ALLOW_MULTI,
};
/** Every {@link CgroupAttachOptions.mode}. */
export const CGROUP_ATTACH_MODES: readonly CgroupAttachMode[] = Object.freeze([
  'link',
  ...(Object.keys(MODE_FLAGS) as CgroupAttachMode[]),
]);

/** The cgroup attach type of `type` when it has just one (sock_ops, device, sysctl). */
function soleAttachType(type: number): number | undefined {
  const types = [...CGROUP_ATTACH_PROGRAM].filter(([, owner]) => owner === type);
  return types.length === 1 ? types[0]![0] : undefined;
}

/** How a cgroup target appears in messages. */
const describeCgroup = (cgroup: FdTarget) =>
  typeof cgroup === 'string' ? `cgroup '${cgroup}'` : `cgroup fd ${cgroup}`;

/**
 * Attaches a cgroup program (skb, sock, sock_addr, sock_ops, device, sysctl, sockopt)
 * to a cgroup v2 directory (a path or an open fd). Works for every cgroup attach type.
 * @throws BpfArgumentError for an attach type that is no cgroup one, or `replace` without mode `'multi'`
 * @throws AttachError for a path that is no cgroup v2 directory, an attach type the program's
 *   type or expected attach type does not fit (a cgroup_skb program loaded with an expected
 *   attach type attaches only in that direction, although the kernel would take the other), or a
 *   hook the kernel refuses (the cause named)
 */
export function attachCgroup(program: Program, cgroup: FdTarget, o: CgroupAttachOptions = {}): Link {
  const where = describeCgroup(cgroup);
  requireAttachKind('cgroup', program, where);
  const attachType = requireAttachType(program, where, o.attachType, soleAttachType(program.type));
  const mode = requireChoice(o.mode ?? 'link', 'mode', CGROUP_ATTACH_MODES);
  requireAttachTypeFits(program, where, attachType, CGROUP_ATTACH_PROGRAM);
  if (o.replace && mode !== 'multi')
    throw new BpfArgumentError(
      'replace',
      `replaces a program attached with mode 'multi' (BPF_F_REPLACE needs BPF_F_ALLOW_MULTI), not with mode '${mode}'${mode === 'link' ? "; to swap a link's program, use link.update()" : ''}`,
    );
  if (typeof cgroup === 'string') requireCgroupDir(cgroup);
  const target = openTarget(cgroup, true);
  const extraFds = target.owned ? [target.fd] : [];
  let dup: number | undefined;
  try {
    if (mode === 'link') {
      const fd = linkCreate({ progFd: program.fd, targetFd: target.fd, attachType, flags: o.flags ?? 0 });
      return new Link({ kind: 'cgroup', fd, extraFds });
    }
    // A legacy attachment is undone through the cgroup fd: hold one of our own, so the detach
    // reaches this cgroup even after the caller closed theirs and the number was reused.
    if (!target.owned) dup = dupFd(target.fd);
    const cgroupFd = dup ?? target.fd;
    let flags = MODE_FLAGS[mode] | (o.flags ?? 0);
    if (o.replace) flags |= BpfAttachFlag.REPLACE;
    progAttach({
      targetFd: cgroupFd,
      attachBpfFd: program.fd,
      attachType,
      attachFlags: flags,
      ...(o.replace && { replaceBpfFd: o.replace.fd }),
    });
    // Our own reference to the attached program, for the detach (the caller may close theirs).
    let attached = holdProgram(program);
    return new Link({
      kind: 'cgroup-attach',
      extraFds: [cgroupFd],
      detach: () => {
        try {
          progDetach({ targetFd: cgroupFd, attachBpfFd: attached.fd, attachType });
        } catch (e) {
          if (!isErrno(e, 'ENOENT')) throw e;
          throw new LinkOperationError(
            'cgroup-attach',
            'detach',
            `the program is no longer attached to ${where} as ${attachTypeLabel(attachType)}: ${
              mode === 'multi'
                ? 'an attach with `replace` swapped it out'
                : `a later '${mode}' attach replaced it (exclusive and override attachments hold one program per hook)`
            }, or it was detached elsewhere`,
            { cause: e },
          );
        } finally {
          attached.close();
        }
      },
      update: (next) => {
        const nextRef = holdProgram(next);
        try {
          progAttach({
            targetFd: cgroupFd,
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
    if (dup !== undefined) close(dup);
    throw explainCgroupAttach(e, program, where, attachType, mode, o.replace !== undefined);
  }
}

/** Gives the kernel's refusal of a cgroup attach its cause, where the errno tells it. */
function explainCgroupAttach(
  e: unknown,
  program: Program,
  where: string,
  attachType: number,
  mode: CgroupAttachMode,
  replacing: boolean,
): unknown {
  if (isErrno(e, 'EBADF'))
    return new AttachError(where, 'the file descriptor is not a cgroup v2 directory', { cause: e });
  if (isErrno(e, 'EINVAL'))
    return new AttachError(
      where,
      `${describeProgram(program)} (${progTypeLabel(program.type)}) cannot attach as ${attachTypeLabel(attachType)}: the kernel refused it (EINVAL): ${
        mode === 'multi'
          ? "the program is already attached to this hook (mode 'multi' takes each program once; attach it through a link, or update() the Link that holds it), or "
          : ''
      }\`flags\` has bits this hook does not take, or the program's expected attach type is another one`,
      { cause: e },
    );
  if (isErrno(e, 'ENOENT') && replacing)
    return new AttachError(
      where,
      `the program to replace is not attached to the hook ${attachTypeLabel(attachType)}`,
      { cause: e },
    );
  if (isErrno(e, 'EPERM'))
    return new AttachError(
      where,
      `the hook ${attachTypeLabel(attachType)} already has programs attached in another mode (exclusive, override and multi attachments do not mix on one cgroup hook), or the process lacks the permission`,
      { cause: e },
    );
  return e;
}

/** Options of {@link queryCgroup}. */
export interface CgroupQueryOptions {
  /** BpfQueryFlag.QUERY_EFFECTIVE: include programs inherited from ancestors. */
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
