/**
 * @ts-ebpf/dsl-packet: packet parsing for BPF programs built with `@ts-ebpf/dsl`, written once
 * for every program type with direct packet access (XDP's `xdp_md`, tc's `__sk_buff` …): a
 * cursor whose bounds checks the verifier accepts, header parsers (Ethernet + VLAN, IPv4 with
 * options, IPv6 with extension headers, TCP, UDP, ICMP, ICMPv6), network-order field loads and
 * stores, and incremental checksum updates. Pure TypeScript: no FFI, no Node API.
 * @packageDocumentation
 */
export { type CsumReplaceOptions, csumFold, csumReplace } from './checksum.js';
export {
  ensure,
  loadPacketPointers,
  type Miss,
  type PacketCursor,
  type PacketCursorOptions,
  type PacketPointerFields,
  type PacketPosition,
  type Parsed,
  packetCursor,
} from './cursor.js';
export { PacketDslError } from './errors.js';
export { type EthernetOptions, ethernet, MAX_VLAN_TAGS } from './ethernet.js';
export { loadField, net16, net32, type PacketField, storeField, type ValueOrder } from './fields.js';
export { type Ipv4Options, ipv4 } from './ipv4.js';
export { type Ipv6Options, ipv6, MAX_IPV6_EXTENSIONS } from './ipv6.js';
export { type IcmpOptions, icmp, icmpv6, type PortOptions, type TcpOptions, tcp, udp } from './l4.js';
export { Eth, EtherType, Icmp, Icmpv6, IpProto, Ipv4, Ipv6, Ipv6Ext, Tcp, Udp, Vlan } from './layout.js';
