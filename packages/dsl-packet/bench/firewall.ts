/**
 * The XDP firewall of the benchmark built with dsl-packet: the same logic as firewall.bpf.c
 * (parse Ethernet / IPv4 with IHL / IPv6 / TCP / UDP, LPM-trie blocklists of source
 * addresses, an array of blocked destination ports, per-CPU counters per protocol). A later
 * IPv4 fragment (non-zero fragment offset) carries no L4 header: after the source check it
 * counts as OTHER and passes, its payload never read as ports.
 */
import {
  add,
  and,
  call,
  exit,
  type Fragment,
  ja,
  jeq,
  jlt,
  jne,
  ldMapFd,
  ldx,
  mark,
  mov,
  type PluginProgram,
  R0,
  R1,
  R2,
  R6,
  R7,
  R8,
  R9,
  R10,
  st,
  stx,
} from '@ts-ebpf/dsl';
import {
  EtherType,
  ethernet,
  IpProto,
  Ipv4,
  Ipv6,
  ipv4,
  ipv6,
  loadPacketPointers,
  net16,
  packetCursor,
  tcp,
  udp,
} from '@ts-ebpf/dsl-packet';
import { XDP_CTX, XDP_MD, XdpAction, xdp } from '@ts-ebpf/dsl-xdp';
import type { ByteOrder } from '@ts-ebpf/uapi';

/** Counter slots of the per-CPU counters map. */
export const Counter = { OTHER: 0, TCP: 1, UDP: 2, ICMP: 3, BLOCKED: 4, COUNT: 5 } as const;

/** The four maps' fds. */
export interface FirewallMaps {
  readonly block4: number;
  readonly block6: number;
  readonly ports: number;
  readonly counters: number;
}

/** A protocol the L4 dispatch matches to nothing (IPPROTO_IP): later fragments count as OTHER. */
const NO_L4 = 0;

const XDP_DROP = XdpAction.DROP;
const XDP_PASS = XdpAction.PASS;

/** `r0 = lookup(map, r10 + keyAt)`. */
function lookup(map: number, keyAt: number) {
  return [ldMapFd(R1, { fd: map }), mov(R2, R10), add(R2, keyAt), call('map_lookup_elem')];
}

/** The `data` / `data_end` offsets of `struct xdp_md`, from the XDP plugin's context layout. */
const XDP_PACKET = { data: XDP_MD.fields.data.offset, dataEnd: XDP_MD.fields.data_end.offset };

/**
 * Builds the firewall for a kernel of `byteOrder` with the XDP plugin (section `xdp`): what
 * `Program.load` takes, its helper calls checked against what XDP programs may call.
 */
export function firewall(maps: FirewallMaps, byteOrder: ByteOrder): PluginProgram {
  return xdp('xdp').build(firewallBody(maps, byteOrder));
}

/** The firewall's instructions after the plugin's prologue (which keeps the context in `XDP_CTX`). */
function firewallBody(maps: FirewallMaps, byteOrder: ByteOrder): Fragment {
  const c = packetCursor({ data: R7, end: R8, pos: R6, scratch: R1, byteOrder });
  const eth = ethernet(c, c.start, { etherType: R2, vlanTags: 0, order: 'network', miss: 'drop' });
  const ip4 = ipv4(c, eth.next, { protocol: R9, source: R2, miss: 'drop', laterFragments: 'frag4' });
  const ip6 = ipv6(c, eth.next, { nextHeader: R9, extensions: 0, miss: 'drop' });
  const l4 = { base: R6, offset: 0 };
  const t = tcp(c, l4, { destinationPort: R2, miss: 'drop' });
  const u = udp(c, l4, { destinationPort: R2, miss: 'drop' });
  const saddr6 = eth.next.offset + Ipv6.SADDR;
  const copy6 = [0, 4, 8, 12].map((i) => [ldx('w', R1, R7, saddr6 + i), stx('w', R10, R1, -20 + i)]);
  return [
    loadPacketPointers(c, XDP_CTX, XDP_PACKET),
    eth.code,
    jeq(R2, net16(EtherType.IPV6, byteOrder), 'v6'),
    jne(R2, net16(EtherType.IPV4, byteOrder), 'other'),
    ip4.code,
    mark('v4src'),
    st('w', R10, -8, 32),
    stx('w', R10, R2, -4),
    lookup(maps.block4, -8),
    jne(R0, 0, 'blocked'),
    ja('l4'),
    mark('v6'),
    ip6.code,
    st('w', R10, -24, 128),
    copy6,
    lookup(maps.block6, -24),
    jne(R0, 0, 'blocked'),
    mov(R6, R7),
    add(R6, ip6.next.offset),
    mark('l4'),
    jeq(R9, IpProto.TCP, 'tcp'),
    jeq(R9, IpProto.UDP, 'udp'),
    jeq(R9, IpProto.ICMP, 'icmp'),
    jeq(R9, IpProto.ICMPV6, 'icmp'),
    mark('other'),
    mov(R9, Counter.OTHER),
    ja('pass'),
    mark('icmp'),
    mov(R9, Counter.ICMP),
    ja('pass'),
    mark('tcp'),
    t.code,
    mov(R9, Counter.TCP),
    ja('port'),
    mark('udp'),
    u.code,
    mov(R9, Counter.UDP),
    mark('port'),
    stx('w', R10, R2, -4),
    lookup(maps.ports, -4),
    jeq(R0, 0, 'pass'),
    ldx('w', R1, R0, 0),
    jne(R1, 0, 'blocked'),
    mark('pass'),
    stx('w', R10, R9, -4),
    mov(R6, XDP_PASS),
    mark('count'),
    lookup(maps.counters, -4),
    jeq(R0, 0, 'out'),
    ldx('dw', R1, R0, 0),
    add(R1, 1),
    stx('dw', R0, R1, 0),
    mark('out'),
    mov(R0, R6),
    exit(),
    mark('blocked'),
    st('w', R10, -4, Counter.BLOCKED),
    mov(R6, XDP_DROP),
    ja('count'),
    mark('drop'),
    mov(R0, XDP_DROP),
    exit(),
    // A later fragment, sent here by the IPv4 parser before its IHL step: the IHL check the C
    // program makes first, then the source check, then OTHER (R9 holds no L4 protocol).
    mark('frag4'),
    ldx('b', R1, eth.next.base, eth.next.offset + Ipv4.VERSION_IHL),
    and(R1, 0x0f),
    jlt(R1, 5, 'drop'),
    mov(R9, NO_L4),
    ja('v4src'),
  ];
}
