import { BpfAttachType, linkCreate, type ProgQueryResult, progQuery } from '@ts-ebpf/syscall';
import { Link } from '../link.js';
import { describeInterface, type Interface, ifindex } from '../netlink/ifindex.js';
import { attrString, attrU32, NLM_F, NLMSG, nested, tcmsg } from '../netlink/message.js';
import { NetlinkError, RtNetlink, withRtNetlink } from '../netlink/socket.js';
import type { Program } from '../program.js';
import { requireChoice } from './check.js';
import { requireAttachKind } from './kinds.js';

/** Which way the packets go. */
export type TcDirection = 'ingress' | 'egress';

const TCX_TYPE: Record<TcDirection, number> = {
  ingress: BpfAttachType.TCX_INGRESS,
  egress: BpfAttachType.TCX_EGRESS,
};
/** Every {@link TcDirection}. */
export const TC_DIRECTIONS: readonly TcDirection[] = Object.freeze(Object.keys(TCX_TYPE) as TcDirection[]);

/** Options of {@link attachTcx}. */
export interface TcxOptions {
  /** `BPF_F_BEFORE` / `BPF_F_AFTER` (with `relativeFdOrId`), `BpfAttachFlag.REPLACE` … */
  readonly flags?: number;
  /** The program or link placed relative to. */
  readonly relativeFdOrId?: number;
  /** Fail unless the hook is at this revision. */
  readonly expectedRevision?: bigint | number;
}

/** Attaches a `sched_cls` program to an interface's tcx ingress or egress hook (bpf_link). */
export function attachTcx(
  program: Program,
  iface: Interface,
  direction: TcDirection,
  o: TcxOptions = {},
): Link {
  requireChoice(direction, 'direction', TC_DIRECTIONS);
  const index = ifindex(iface);
  requireAttachKind('tcx', program, `tcx ${direction} on ${describeInterface(iface)}`);
  return new Link({ kind: 'tcx', fd: interfaceLinkCreate(program, index, TCX_TYPE[direction], o) });
}

/**
 * BPF_LINK_CREATE of a program on an interface's multi-program hook (tcx, netkit: the same
 * `relative_fd` / `expected_revision` options). Returns the link's fd.
 */
export function interfaceLinkCreate(
  program: Program,
  ifindex: number,
  attachType: number,
  o: TcxOptions,
): number {
  return linkCreate({
    progFd: program.fd,
    targetFd: ifindex,
    attachType,
    flags: o.flags ?? 0,
    mprog: {
      ...(o.relativeFdOrId !== undefined && { relativeFdOrId: o.relativeFdOrId }),
      ...(o.expectedRevision !== undefined && { expectedRevision: o.expectedRevision }),
    },
  });
}

/** Lists the programs and links on an interface's tcx hook. */
export function queryTcx(iface: Interface, direction: TcDirection): ProgQueryResult {
  requireChoice(direction, 'direction', TC_DIRECTIONS);
  return progQuery({ targetFd: ifindex(iface), attachType: TCX_TYPE[direction] });
}

// linux/pkt_sched.h, linux/pkt_cls.h
const TC_H_CLSACT = 0xfffffff1;
const TC_H_MIN_INGRESS = 0xfff2;
const TC_H_MIN_EGRESS = 0xfff3;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_FLAG_ACT_DIRECT = 1;
const ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL)

/** Options of {@link attachTcClassic}. */
export interface TcClassicOptions {
  /** Filter priority (default 1). */
  readonly priority?: number;
  /** Filter handle (default 1). */
  readonly handle?: number;
  /** Name shown by `tc filter show` (default the program's name or `ts-ebpf`). */
  readonly name?: string;
}

function clsactParent(direction: TcDirection): number {
  return ((TC_H_CLSACT & 0xffff0000) | (direction === 'ingress' ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS)) >>> 0;
}

/** Adds a clsact qdisc to the interface; returns false when one is already there. */
export function addClsact(iface: Interface): boolean {
  const index = ifindex(iface);
  return withRtNetlink((nl) => addClsactOn(nl, index));
}

/** Removes the interface's clsact qdisc (and every filter on it). */
export function deleteClsact(iface: Interface): void {
  const index = ifindex(iface);
  withRtNetlink((nl) => deleteClsactOn(nl, index));
}

function addClsactOn(nl: RtNetlink, index: number): boolean {
  try {
    nl.request(
      'RTM_NEWQDISC clsact',
      NLMSG.RTM_NEWQDISC,
      NLM_F.CREATE | NLM_F.EXCL,
      tcmsg(index, 0xffff0000, TC_H_CLSACT, 0),
      [attrString(TCA_KIND, 'clsact')],
    );
    return true;
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'EEXIST') return false;
    throw e;
  }
}

function deleteClsactOn(nl: RtNetlink, index: number): void {
  nl.request('RTM_DELQDISC clsact', NLMSG.RTM_DELQDISC, 0, tcmsg(index, 0xffff0000, TC_H_CLSACT, 0), [
    attrString(TCA_KIND, 'clsact'),
  ]);
}

/**
 * The classic tc attach: a clsact qdisc (added when missing, removed on close if added
 * here) and a direct-action cls_bpf filter, all over rtnetlink. The attachment keeps the netlink
 * socket it was made with, so it is updated and detached in the network namespace it was made in
 * (`inNetns`), from whichever namespace `close()` is called.
 */
export function attachTcClassic(
  program: Program,
  iface: Interface,
  direction: TcDirection,
  o: TcClassicOptions = {},
): Link {
  requireChoice(direction, 'direction', TC_DIRECTIONS);
  const index = ifindex(iface);
  requireAttachKind('tc', program, `tc ${direction} on ${describeInterface(iface)}`);
  const parent = clsactParent(direction);
  const info = (((o.priority ?? 1) << 16) | ETH_P_ALL_BE) >>> 0;
  const handle = o.handle ?? 1;
  const name = o.name ?? (program.name || 'ts-ebpf');
  const nl = new RtNetlink();
  const set = (p: Program, flags: number) =>
    nl.request('RTM_NEWTFILTER bpf', NLMSG.RTM_NEWTFILTER, flags, tcmsg(index, handle, parent, info), [
      attrString(TCA_KIND, 'bpf'),
      nested(
        TCA_OPTIONS,
        attrU32(TCA_BPF_FD, p.fd),
        attrString(TCA_BPF_NAME, name),
        attrU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT),
      ),
    ]);
  let created = false;
  try {
    created = addClsactOn(nl, index);
    set(program, NLM_F.CREATE | NLM_F.EXCL);
  } catch (e) {
    try {
      if (created) deleteClsactOn(nl, index);
    } finally {
      nl.close();
    }
    throw e;
  }
  return new Link({
    kind: 'tc-classic',
    detach: () => {
      try {
        if (created) deleteClsactOn(nl, index);
        else
          nl.request('RTM_DELTFILTER bpf', NLMSG.RTM_DELTFILTER, 0, tcmsg(index, handle, parent, info), [
            attrString(TCA_KIND, 'bpf'),
          ]);
      } finally {
        nl.close();
      }
    },
    update: (next) => set(next, NLM_F.REPLACE),
  });
}
