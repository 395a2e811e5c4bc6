/**
 * One device of the `netdev` generic netlink family (`dev-get`,
 * Documentation/netlink/specs/netdev.yaml; Linux 6.3): the attributes the kernel lists for it
 * (its XDP features, zero-copy limits, AF_XDP TX metadata offloads).
 */
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { InterfaceNotFoundError } from '../errors.js';
import { genlAttrs, genlFamilyId, genlRequest } from './generic.js';
import { type Interface, ifindex } from './ifindex.js';
import { attrU32 } from './message.js';
import { NETLINK_GENERIC, NetlinkError, withRtNetlink } from './socket.js';

// linux/netdev.h
const NETDEV_CMD_DEV_GET = 1;
const NETDEV_A_DEV_IFINDEX = 1;

/**
 * The `netdev` `dev-get` attributes of an interface in the calling thread's network namespace,
 * by attribute type (`NETDEV_A_DEV_*`), merged over the replies.
 * @returns the attributes, or undefined when the kernel has no `netdev` family (before Linux 6.3)
 * @throws InterfaceNotFoundError when the namespace has no such interface
 */
export function netdevDeviceAttrs(iface: Interface): Map<number, Uint8Array> | undefined {
  const index = ifindex(iface);
  return withRtNetlink((nl) => {
    const family = genlFamilyId(nl, 'netdev');
    if (family === undefined) return undefined;
    let replies: ReturnType<typeof genlRequest>;
    try {
      replies = genlRequest(nl, 'netdev dev-get', family, NETDEV_CMD_DEV_GET, 0, [
        attrU32(NETDEV_A_DEV_IFINDEX, index),
      ]);
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'ENODEV')
        throw new InterfaceNotFoundError(iface, { cause: e });
      throw e;
    }
    const attrs = new Map<number, Uint8Array>();
    for (const m of replies) for (const [type, payload] of genlAttrs(m)) attrs.set(type, payload);
    return attrs;
  }, NETLINK_GENERIC);
}

/** The u64 attribute `type` of `attrs` as a number (the netdev feature bit sets fit in 53 bits). */
export function netdevU64(attrs: Map<number, Uint8Array> | undefined, type: number): number | undefined {
  const bits = attrs?.get(type);
  if (bits === undefined || bits.byteLength < 8) return undefined;
  return Number(new DataView(bits.buffer, bits.byteOffset, 8).getBigUint64(0, HOST_LITTLE_ENDIAN));
}
