import { BpfAttachType, BpfSyscallError } from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { Link } from '../link.js';
import { describeInterface, type Interface, ifindex } from '../netlink/ifindex.js';
import type { Program } from '../program.js';
import { requireChoice } from './check.js';
import { requireAttachKind } from './kinds.js';
import { interfaceLinkCreate, type TcxOptions } from './tc.js';

/** The side of a netkit pair a program runs on: the primary device, or its peer. */
export type NetkitSide = 'primary' | 'peer';

const NETKIT_TYPE: Record<NetkitSide, number> = {
  primary: BpfAttachType.NETKIT_PRIMARY,
  peer: BpfAttachType.NETKIT_PEER,
};

/**
 * Attaches a `sched_cls` program to a netkit device (`ip link add … type netkit`, kernel
 * 6.7+ with CONFIG_NETKIT) through a bpf_link, on its primary or peer side. The options
 * are those of tcx (the same multi-program hook).
 * @throws AttachError when the kernel refuses the link: the interface is no netkit device,
 *   or the kernel was built without CONFIG_NETKIT (both give EINVAL); `cause` is the kernel's error
 */
export function attachNetkit(program: Program, iface: Interface, side: NetkitSide, o: TcxOptions = {}): Link {
  requireChoice(side, 'netkit side', Object.keys(NETKIT_TYPE) as NetkitSide[]);
  const index = ifindex(iface);
  const where = `netkit ${side} on ${describeInterface(iface)}`;
  requireAttachKind('netkit', program, where);
  try {
    return new Link({ kind: 'netkit', fd: interfaceLinkCreate(program, index, NETKIT_TYPE[side], o) });
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'EINVAL')
      throw new AttachError(
        where,
        'the kernel refused the netkit link (EINVAL): the interface must be a netkit device, on a kernel built with CONFIG_NETKIT',
        { cause: e },
      );
    throw e;
  }
}
