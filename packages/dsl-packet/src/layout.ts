/**
 * Header layouts: sizes, field offsets and protocol numbers of the headers the parsers read
 * (from the kernel's `if_ether.h`, `ip.h`, `ipv6.h`, `tcp.h`, `udp.h`, `icmp.h`, `icmpv6.h`
 * and `in.h`). Offsets are from the start of each header.
 * @module
 */

/** EtherType values (network-order meaning; compare with {@link net16} forms in code). */
export const EtherType = Object.freeze({
  IPV4: 0x0800,
  ARP: 0x0806,
  /** 802.1Q customer VLAN tag. */
  VLAN: 0x8100,
  IPV6: 0x86dd,
  /** 802.1ad service VLAN tag (QinQ outer tag). */
  QINQ: 0x88a8,
});

/** IP protocol numbers (IPv4 `protocol`, IPv6 `nexthdr`), declared in `@ts-ebpf/uapi`. */
export { IpProto } from '@ts-ebpf/uapi';

/** Ethernet header: 14 bytes. */
export const Eth = Object.freeze({ SIZE: 14, DEST: 0, SOURCE: 6, PROTO: 12 });
/** One 802.1Q / 802.1ad tag after the MAC addresses: 4 bytes (TCI, then the inner EtherType). */
export const Vlan = Object.freeze({ SIZE: 4, TCI: 0, PROTO: 2 });
/** IPv4 header without options: 20 bytes. */
export const Ipv4 = Object.freeze({
  SIZE: 20,
  VERSION_IHL: 0,
  TOS: 1,
  TOT_LEN: 2,
  ID: 4,
  FRAG_OFF: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECK: 10,
  SADDR: 12,
  DADDR: 16,
});
/** IPv6 fixed header: 40 bytes. */
export const Ipv6 = Object.freeze({
  SIZE: 40,
  PAYLOAD_LEN: 4,
  NEXTHDR: 6,
  HOP_LIMIT: 7,
  SADDR: 8,
  DADDR: 24,
});
/** IPv6 extension header: next header, length in 8-byte units past the first 8 bytes. */
export const Ipv6Ext = Object.freeze({ MIN_SIZE: 8, NEXTHDR: 0, HDRLEN: 1 });
/** TCP header without options: 20 bytes. */
export const Tcp = Object.freeze({
  SIZE: 20,
  SOURCE: 0,
  DEST: 2,
  SEQ: 4,
  ACK_SEQ: 8,
  DOFF: 12,
  FLAGS: 13,
  CHECK: 16,
});
/** UDP header: 8 bytes. */
export const Udp = Object.freeze({ SIZE: 8, SOURCE: 0, DEST: 2, LEN: 4, CHECK: 6 });
/** ICMP header: 8 bytes. */
export const Icmp = Object.freeze({ SIZE: 8, TYPE: 0, CODE: 1, CHECKSUM: 2 });
/** ICMPv6 header (`struct icmp6hdr`): 8 bytes. */
export const Icmpv6 = Object.freeze({ SIZE: 8, TYPE: 0, CODE: 1, CHECKSUM: 2 });
