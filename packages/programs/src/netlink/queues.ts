/**
 * How many RX and TX queues a network interface has, in the calling thread's network namespace:
 * allocated (rtnetlink, `RTM_GETLINK`) and in use (the queue list of the `netdev` generic
 * netlink family, Documentation/netlink/specs/netdev.yaml `queue-get`).
 */
import { InterfaceNotFoundError } from '../errors.js';
import { genlAttrs, genlFamilyId, genlRequest } from './generic.js';
import { type Interface, ifindex } from './ifindex.js';
import {
  attrU32,
  attrU32Value,
  decodeAttrs,
  IFINFOMSG_LEN,
  ifinfomsg,
  NLM_F,
  NLMSG,
  type NlMessage,
} from './message.js';
import { NETLINK_GENERIC, NetlinkError, type RtNetlink, withRtNetlink } from './socket.js';

// linux/if_link.h
const IFLA_NUM_TX_QUEUES = 31;
const IFLA_NUM_RX_QUEUES = 32;
// linux/netdev.h
const NETDEV_CMD_QUEUE_GET = 10;
const NETDEV_A_QUEUE_ID = 1;
const NETDEV_A_QUEUE_IFINDEX = 2;
const NETDEV_A_QUEUE_TYPE = 3;
const NETDEV_QUEUE_TYPE_RX = 0;
const NETDEV_QUEUE_TYPE_TX = 1;

/** The queues of a network interface, as {@link interfaceQueues} finds them. */
export interface InterfaceQueues {
  /** The interface's index. */
  readonly ifindex: number;
  /**
   * RX queues in use (the kernel's `real_num_rx_queues`, which a driver may set below the
   * allocated number: `ethtool -L`), or undefined when the kernel lists none: the interface is
   * down, or its `netdev` netlink family has no queue list (kernels before it).
   */
  readonly rx: number | undefined;
  /** TX queues in use (`real_num_tx_queues`), or undefined as for {@link InterfaceQueues.rx}. */
  readonly tx: number | undefined;
  /**
   * RX queues allocated (`num_rx_queues`, `IFLA_NUM_RX_QUEUES`): the most it can use; undefined
   * on a kernel built without CONFIG_RPS, which does not report it.
   */
  readonly rxAllocated: number | undefined;
  /** TX queues allocated (`num_tx_queues`, `IFLA_NUM_TX_QUEUES`). */
  readonly txAllocated: number | undefined;
}

/**
 * The RX and TX queues of an interface in the calling thread's network namespace: how many it
 * has allocated, and how many it uses where the kernel lists them (see {@link InterfaceQueues}).
 * @throws InterfaceNotFoundError when the namespace has no such interface
 */
export function interfaceQueues(iface: Interface): InterfaceQueues {
  const index = ifindex(iface);
  let link: NlMessage | undefined;
  try {
    link = withRtNetlink((nl) => nl.request('RTM_GETLINK', NLMSG.RTM_GETLINK, 0, ifinfomsg(index))).find(
      (m) => m.type === NLMSG.RTM_NEWLINK,
    );
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV')
      throw new InterfaceNotFoundError(iface, { cause: e });
    throw e;
  }
  const attrs = link ? decodeAttrs(link.payload.subarray(IFINFOMSG_LEN)) : new Map<number, Uint8Array>();
  const inUse = withRtNetlink((nl) => queuesInUse(nl, index), NETLINK_GENERIC);
  return {
    ifindex: index,
    rx: inUse?.rx,
    tx: inUse?.tx,
    rxAllocated: attrU32Value(attrs.get(IFLA_NUM_RX_QUEUES)),
    txAllocated: attrU32Value(attrs.get(IFLA_NUM_TX_QUEUES)),
  };
}

/**
 * The RX and TX queues the netdev family lists for `index` (a dump filtered by ifindex), or
 * undefined when it lists none (a down interface) or has no queue list.
 */
function queuesInUse(nl: RtNetlink, index: number): { rx: number; tx: number } | undefined {
  const family = genlFamilyId(nl, 'netdev');
  if (family === undefined) return undefined;
  let replies: NlMessage[];
  try {
    replies = genlRequest(nl, 'netdev queue-get', family, NETDEV_CMD_QUEUE_GET, NLM_F.DUMP, [
      attrU32(NETDEV_A_QUEUE_IFINDEX, index),
    ]);
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'EOPNOTSUPP') return undefined;
    throw e;
  }
  const count = { rx: 0, tx: 0 };
  for (const m of replies) {
    const a = genlAttrs(m);
    if (attrU32Value(a.get(NETDEV_A_QUEUE_IFINDEX)) !== index) continue;
    const id = attrU32Value(a.get(NETDEV_A_QUEUE_ID));
    if (id === undefined) continue;
    const type = attrU32Value(a.get(NETDEV_A_QUEUE_TYPE));
    // Queues are listed by id from 0: the count is one past the highest.
    if (type === NETDEV_QUEUE_TYPE_RX) count.rx = Math.max(count.rx, id + 1);
    else if (type === NETDEV_QUEUE_TYPE_TX) count.tx = Math.max(count.tx, id + 1);
  }
  return count.rx === 0 && count.tx === 0 ? undefined : count;
}
