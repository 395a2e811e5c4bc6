/**
 * What XDP a network interface's driver offers: the `xdp-features` and `xdp-zc-max-segs` of the
 * `netdev` generic netlink family (`dev-get`, Documentation/netlink/specs/netdev.yaml; Linux
 * 6.3), as libbpf's `bpf_xdp_query` reports them in `feature_flags` and `xdp_zc_max_segs`.
 */

import type { Interface } from './ifindex.js';
import { attrU32Value } from './message.js';
import { netdevDeviceAttrs, netdevU64 } from './netdev-device.js';

// linux/netdev.h
const NETDEV_A_DEV_XDP_FEATURES = 3;
const NETDEV_A_DEV_XDP_ZC_MAX_SEGS = 4;

/** An interface's XDP features (see {@link interfaceXdpFeatures}). */
export interface XdpFeatures {
  /**
   * `NetdevXdpAct` bits: `BASIC` (the driver runs XDP programs natively), `REDIRECT`,
   * `NDO_XMIT` (frames can be redirected to it), `XSK_ZEROCOPY`, `HW_OFFLOAD`, `RX_SG`,
   * `NDO_XMIT_SG`. 0 for a driver without native XDP (generic, `'skb'` mode still works there).
   */
  readonly features: number;
  /**
   * The most buffers of one multi-buffer frame an AF_XDP socket bound in zero-copy mode may
   * hand the driver (1 without multi-buffer zero-copy); undefined for a driver without
   * `XSK_ZEROCOPY` (the kernel lists the limit only for one with it).
   */
  readonly zeroCopyMaxSegments: number | undefined;
}

/**
 * The XDP features a network interface's driver declares, in the calling thread's network
 * namespace. Generic (`'skb'`) XDP works on every interface whatever these say; native (`'drv'`)
 * mode needs `BASIC`, and a redirect to the interface `NDO_XMIT`.
 * @returns the features, or undefined when the kernel does not list them (before Linux 6.3,
 *   without the `netdev` family)
 * @throws InterfaceNotFoundError when the namespace has no such interface
 */
export function interfaceXdpFeatures(iface: Interface): XdpFeatures | undefined {
  const attrs = netdevDeviceAttrs(iface);
  const features = netdevU64(attrs, NETDEV_A_DEV_XDP_FEATURES);
  if (features === undefined) return undefined;
  return { features, zeroCopyMaxSegments: attrU32Value(attrs?.get(NETDEV_A_DEV_XDP_ZC_MAX_SEGS)) };
}
