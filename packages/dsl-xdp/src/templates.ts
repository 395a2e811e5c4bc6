import { type Fragment, returnCode } from '@ts-ebpf/dsl';
import { XdpAction } from '@ts-ebpf/uapi';
import {
  afXdpRedirect,
  dropByProtocol,
  ipv4Blocklist,
  l2Forward,
  macSwapTx,
  portFilter,
  protocolCounters,
} from './templates/index.js';

/**
 * Ready-made XDP programs (bodies for `xdp().build(...)`), the XDP plugin's templates.
 */
export const XDP_TEMPLATES = Object.freeze({
  /** Passes every packet to the stack. */
  passAll: (): Fragment => returnCode(XdpAction.PASS, 'template passAll'),
  /** Drops every packet. */
  dropAll: (): Fragment => returnCode(XdpAction.DROP, 'template dropAll'),
  /** Drops packets of the given IP protocols. */
  dropByProtocol,
  /** Applies an action to TCP/UDP packets by destination port. */
  portFilter,
  /** Drops IPv4 packets whose address matches a prefix of an LPM trie. */
  ipv4Blocklist,
  /** Counts packets per protocol into a map. */
  protocolCounters,
  /** Swaps the Ethernet addresses and sends the frame back out (XDP_TX). */
  macSwapTx,
  /** Redirects into an AF_XDP socket of an xskmap by receive queue. */
  afXdpRedirect,
  /** Forwards frames through a devmap. */
  l2Forward,
});
