/**
 * @packageDocumentation
 * `@ts-ebpf/xsk`: AF_XDP sockets. An {@link XskSocket} owns a UMEM and its four rings, is bound
 * to one queue of an interface, receives the frames an XDP program redirects into an xskmap
 * slot holding its fd, and transmits frames. The raw calls it is made of (`xdpSocket`,
 * `xdpUmemRegister`, `xdpMapRing` …) are in `@ts-ebpf/syscall`.
 */
export { type XdpStatistics, XdpUmemHeadroomError } from '@ts-ebpf/syscall';
export {
  NetdevXskFlag,
  XdpBindFlag,
  XdpDescOption,
  XdpOptionFlag,
  XdpTxMetadataFlag,
  XdpUmemFlag,
} from '@ts-ebpf/uapi';
export {
  XskNoTxMetadataError,
  XskQueueBusyError,
  type XskQueueCounts,
  XskQueueRangeError,
  XskReceiveOnlyError,
  XskReentrantReceiveError,
  type XskRefusedDescriptor,
  XskSocketError,
  XskTransmitOnlyError,
  XskTransmitRefusedError,
  XskTxOffloadError,
} from './errors.js';
export type { XskBatchOptions, XskMode, XskSocketOptions } from './options.js';
export { XskSocket } from './socket.js';
export type { XskTxMetadata } from './tx-metadata.js';
