import {
  BpfAttachType,
  BpfProgType,
  close,
  linkCreate,
  type ProgQueryResult,
  progQuery,
} from '@ts-ebpf/syscall';
import { Link } from '../link.js';
import type { NetnsTarget } from '../netns.js';
import type { Program } from '../program.js';
import { requireAttachType, requireProgramType } from './check.js';
import { openTarget } from './target-fd.js';

const NETNS_ATTACH: ReadonlyMap<number, number> = new Map([
  [BpfProgType.SK_LOOKUP, BpfAttachType.SK_LOOKUP],
  [BpfProgType.FLOW_DISSECTOR, BpfAttachType.FLOW_DISSECTOR],
]);

/**
 * Attaches an `sk_lookup` or `flow_dissector` program to a network namespace (a path such
 * as `/var/run/netns/<name>` or `/proc/self/ns/net`, or an fd) through a bpf_link.
 */
export function attachNetns(program: Program, netns: NetnsTarget, attachType?: number): Link {
  const where = typeof netns === 'string' ? `network namespace '${netns}'` : `network namespace fd ${netns}`;
  requireProgramType(program, where, [...NETNS_ATTACH.keys()]);
  const type = requireAttachType(program, where, attachType, NETNS_ATTACH.get(program.type));
  const target = openTarget(netns, false);
  try {
    const fd = linkCreate({ progFd: program.fd, targetFd: target.fd, attachType: type });
    return new Link({ kind: 'netns', fd, extraFds: target.owned ? [target.fd] : [] });
  } catch (e) {
    if (target.owned) close(target.fd);
    throw e;
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
