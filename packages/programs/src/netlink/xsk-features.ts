/**
 * The AF_XDP TX metadata offloads a network interface acts on in zero-copy mode: the
 * `xsk-features` of the `netdev` generic netlink family (`dev-get`,
 * Documentation/netlink/specs/netdev.yaml; Linux 6.8), bits of `NetdevXskFlag`.
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
const NETDEV_A_DEV_XSK_FEATURES = 6;

/**
 * The `NetdevXskFlag` bits of an interface in the calling thread's network namespace: the TX
 * metadata requests (`XdpTxMetadataFlag`) its driver acts on for an AF_XDP socket bound in
 * zero-copy mode (`TX_TIMESTAMP`, `TX_CHECKSUM`, `TX_LAUNCH_TIME_FIFO`). 0 for a driver with
 * none (veth, and any driver without AF_XDP TX metadata support). In copy mode the kernel builds
 * an ordinary packet from the frame instead, and these bits do not apply.
 * @returns the bits, or undefined when the kernel does not list them (before Linux 6.8, or
 *   without the `netdev` family)
 * @throws InterfaceNotFoundError when the namespace has no such interface
 */
export function interfaceXskFeatures(iface: Interface): number | undefined {
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
    for (const m of replies) {
      const bits = genlAttrs(m).get(NETDEV_A_DEV_XSK_FEATURES);
      if (bits !== undefined && bits.byteLength >= 8) {
        return Number(new DataView(bits.buffer, bits.byteOffset, 8).getBigUint64(0, HOST_LITTLE_ENDIAN));
      }
    }
    return undefined;
  }, NETLINK_GENERIC);
}
