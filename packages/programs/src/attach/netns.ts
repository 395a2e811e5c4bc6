import {
  BpfAttachType,
  BpfProgType,
  close,
  linkCreate,
  type ProgQueryResult,
  progQuery,
} from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { Link } from '../link.js';
import { attachTypeLabel } from '../names.js';
import { type NetnsTarget, NOT_A_NETNS, nsFileProblem } from '../netns.js';
import type { Program } from '../program.js';
import { requireAttachTypeFits } from './attach-type-owner.js';
import { isErrno, requireAttachType } from './check.js';
import { requireAttachKind } from './kinds.js';
import { openTarget } from './target-fd.js';

const NETNS_ATTACH: ReadonlyMap<number, number> = new Map([
  [BpfProgType.SK_LOOKUP, BpfAttachType.SK_LOOKUP],
  [BpfProgType.FLOW_DISSECTOR, BpfAttachType.FLOW_DISSECTOR],
]);
/** The same pairs, attach type first (the kernel's attach_type_to_prog_type). */
const NETNS_ATTACH_PROGRAM: ReadonlyMap<number, number> = new Map(
  [...NETNS_ATTACH].map(([prog, attach]) => [attach, prog]),
);

/** Refuses, before the kernel is asked, a path that is no namespace file ({@link nsFileProblem}). */
function requireNsFile(path: string, where: string): void {
  const problem = nsFileProblem(path);
  if (problem) throw new AttachError(where, problem.reason, problem.options);
}

/** Gives the kernel's refusal its cause where the errno tells it. */
function explainNetnsAttach(e: unknown, where: string, attachType: number): unknown {
  if (isErrno(e, 'EINVAL')) return new AttachError(where, NOT_A_NETNS, { cause: e });
  if (isErrno(e, 'EEXIST', 'E2BIG'))
    return new AttachError(
      where,
      `the namespace already has a ${attachTypeLabel(attachType)} program (a flow dissector takes one, by link or by PROG_ATTACH)`,
      { cause: e },
    );
  return e;
}

/**
 * Attaches an `sk_lookup` or `flow_dissector` program to a network namespace (a path such
 * as `/var/run/netns/<name>` or `/proc/self/ns/net`, or an fd) through a bpf_link.
 * @throws AttachError for a path or fd that is no network namespace, an attach type of the other
 *   program type, or a flow dissector hook that is taken
 */
export function attachNetns(program: Program, netns: NetnsTarget, attachType?: number): Link {
  const where = typeof netns === 'string' ? `network namespace '${netns}'` : `network namespace fd ${netns}`;
  requireAttachKind('netns', program, where);
  const type = requireAttachType(program, where, attachType, NETNS_ATTACH.get(program.type));
  requireAttachTypeFits(program, where, type, NETNS_ATTACH_PROGRAM);
  if (typeof netns === 'string') requireNsFile(netns, where);
  const target = openTarget(netns, false);
  try {
    const fd = linkCreate({ progFd: program.fd, targetFd: target.fd, attachType: type });
    return new Link({ kind: 'netns', fd, extraFds: target.owned ? [target.fd] : [] });
  } catch (e) {
    if (target.owned) close(target.fd);
    throw explainNetnsAttach(e, where, type);
  }
}

/** Lists the programs attached to a network namespace for `attachType` (SK_LOOKUP, FLOW_DISSECTOR). */
export function queryNetns(netns: NetnsTarget, attachType: number): ProgQueryResult {
  const target = openTarget(netns, false);
  try {
    return progQuery({ targetFd: target.fd, attachType });
  } finally {
    if (target.owned) close(target.fd);
  }
}
