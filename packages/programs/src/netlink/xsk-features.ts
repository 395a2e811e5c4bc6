/**
 * The AF_XDP TX metadata offloads a network interface acts on in zero-copy mode: the
 * `xsk-features` of the `netdev` generic netlink family (`dev-get`,
 * Documentation/netlink/specs/netdev.yaml; Linux 6.8), bits of `NetdevXskFlag`.
 */
import type { Interface } from './ifindex.js';
import { netdevDeviceAttrs, netdevU64 } from './netdev-device.js';

// linux/netdev.h
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
  return netdevU64(netdevDeviceAttrs(iface), NETDEV_A_DEV_XSK_FEATURES);
}
