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
import { openTarget } from './target-fd.js';

function netnsAttachType(program: Program, attachType: number | undefined): number {
  if (attachType !== undefined) return attachType;
  if (program.expectedAttachType !== undefined) return program.expectedAttachType;
  if (program.type === BpfProgType.SK_LOOKUP) return BpfAttachType.SK_LOOKUP;
  if (program.type === BpfProgType.FLOW_DISSECTOR) return BpfAttachType.FLOW_DISSECTOR;
  throw new TypeError('attachType is required for this program type');
}

/**
 * Attaches an `sk_lookup` or `flow_dissector` program to a network namespace (a path such
 * as `/var/run/netns/<name>` or `/proc/self/ns/net`, or an fd) through a bpf_link.
 */
export function attachNetns(program: Program, netns: NetnsTarget, attachType?: number): Link {
  const type = netnsAttachType(program, attachType);
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
