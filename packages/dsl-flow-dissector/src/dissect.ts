import {
  add,
  and,
  exit,
  type Fragment,
  ja,
  jeq,
  jgt,
  jne,
  jset,
  labelScope,
  ldx,
  mark,
  mov,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R7,
  R8,
  R9,
  st,
  stx,
  sub,
} from '@ts-ebpf/dsl';
import {
  EtherType,
  ensure,
  IpProto,
  ipv4,
  ipv6,
  loadPacketPointers,
  net16,
  net32,
  packetCursor,
  tcp,
  udp,
  Vlan,
} from '@ts-ebpf/dsl-packet';
import { type ByteOrder, byteOrderMistake } from '@ts-ebpf/uapi';
import { FLOW_DISSECTOR_CTX, FLOW_DISSECTOR_SK_BUFF, FlowDissectorFlag, FlowKeys } from './context.js';
import { FlowDissectorOptionError } from './errors.js';
import { FLOW_DISSECTOR_RETURN_CODES, type FlowDissectorReturnName } from './return-codes.js';

/** The most VLAN tags {@link FLOW_DISSECTOR_TEMPLATES}`.dissect` steps over. */
export const MAX_DISSECTOR_VLAN_TAGS = 4;

/**
 * The largest `flow_keys->nhoff` the dissect template takes (a bigger one gives BPF_DROP):
 * the verifier tracks packet offsets only up to 64 KiB, and the headers after it need room.
 */
export const MAX_NHOFF = 0x0fff;

/** Options of the `dissect` template. */
export interface DissectOptions {
  /** The byte order of the program (the target kernel's: `HOST_BYTE_ORDER`). */
  readonly byteOrder: ByteOrder;
  /**
   * What to return for a network protocol other than IPv4 and IPv6 (after the VLAN tags):
   * BPF_DROP (default) or BPF_FLOW_DISSECTOR_CONTINUE (the kernel's dissector takes it).
   */
  readonly otherProtocols?: Extract<FlowDissectorReturnName, 'BPF_DROP' | 'BPF_FLOW_DISSECTOR_CONTINUE'>;
  /** How many 802.1Q / 802.1ad tags to step over (default 2, at most {@link MAX_DISSECTOR_VLAN_TAGS}). */
  readonly vlanTags?: number;
}

const K = R6; // struct bpf_flow_keys *, after the context is no longer needed
const { BPF_OK, BPF_DROP } = FLOW_DISSECTOR_RETURN_CODES;

/** `keys->ip_proto = R4; keys->thoff = pos - data`. */
function transport(): Fragment {
  return [stx('b', K, R4, FlowKeys.IP_PROTO), mov(R1, R9), sub(R1, R7), stx('h', K, R1, FlowKeys.THOFF)];
}

/**
 * After `is_frag` is set: a later fragment (a non-zero offset under `offsetMask` in the
 * `fragOff` register, network order) ends with BPF_OK; a first one sets `is_first_frag` and
 * goes on to the ports only with BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG.
 */
function fragment(fragOff: typeof R1, offsetMask: number, label: (n: string) => string): Fragment {
  return [
    jset(fragOff, offsetMask, label('ok')),
    st('b', K, FlowKeys.IS_FIRST_FRAG, 1),
    ldx('w', R1, K, FlowKeys.FLAGS),
    jset(R1, FlowDissectorFlag.PARSE_1ST_FRAG, label('l4')),
    ja(label('ok')),
  ];
}

function vlanTags(order: ByteOrder, tags: number, label: (n: string) => string, drop: string): Fragment {
  const c = cursor(order);
  const out: Fragment[number][] = [];
  for (let k = 0; k < tags; k++) {
    const tag = label(`vlan${k}`);
    out.push(
      jeq(R3, net16(EtherType.VLAN, order), tag),
      jne(R3, net16(EtherType.QINQ, order), label('l3')),
      mark(tag),
      ensure(c, { base: R9, offset: 0 }, Vlan.SIZE, drop),
      ldx('h', R3, R9, Vlan.PROTO),
      add(R9, Vlan.SIZE),
      stx('h', K, R3, FlowKeys.N_PROTO),
      mov(R1, R9),
      sub(R1, R7),
      stx('h', K, R1, FlowKeys.NHOFF),
    );
  }
  return out;
}

function cursor(byteOrder: ByteOrder) {
  return packetCursor({ data: R7, end: R8, pos: R9, scratch: R2, byteOrder });
}

function ipv4Part(order: ByteOrder, label: (n: string) => string, drop: string): Fragment {
  const c = cursor(order);
  const ip = ipv4(c, { base: R9, offset: 0 }, { protocol: R4, source: R1, destination: R5, miss: drop });
  const frag = label('v4frag');
  return [
    mov(R0, R9), // the header start, kept past the IHL step
    ip.code,
    stx('w', K, R1, FlowKeys.IPV4_SRC),
    stx('w', K, R5, FlowKeys.IPV4_DST),
    st('h', K, FlowKeys.ADDR_PROTO, EtherType.IPV4),
    transport(),
    ldx('h', R1, R0, 6), // frag_off, network order
    jset(R1, net16(0x3fff, order), frag), // MF or a fragment offset
    ja(label('l4')),
    mark(frag),
    st('b', K, FlowKeys.IS_FRAG, 1),
    fragment(R1, net16(0x1fff, order), label),
  ];
}

function ipv6Part(order: ByteOrder, label: (n: string) => string, drop: string): Fragment {
  const c = cursor(order);
  const at = { base: R9, offset: 0 };
  const ext = ipv6(c, at, { nextHeader: R4, miss: drop });
  const copy: Fragment[number][] = [];
  for (let i = 0; i < 8; i++)
    copy.push(ldx('w', R1, R9, 8 + i * 4), stx('w', K, R1, FlowKeys.IPV6_SRC + i * 4));
  const frag = label('v6frag');
  return [
    ensure(c, at, 40, drop),
    copy,
    ldx('w', R1, R9, 0),
    and(R1, net32(0x000fffff, order)),
    stx('w', K, R1, FlowKeys.FLOW_LABEL),
    st('h', K, FlowKeys.ADDR_PROTO, EtherType.IPV6),
    ldx('b', R4, R9, 6),
    jeq(R4, IpProto.FRAGMENT, frag),
    ext.code, // steps over hop-by-hop, routing and destination options headers
    transport(),
    ldx('w', R1, K, FlowKeys.FLOW_LABEL),
    jeq(R1, 0, label('l4')),
    ldx('w', R1, K, FlowKeys.FLAGS),
    jset(R1, FlowDissectorFlag.STOP_AT_FLOW_LABEL, label('ok')),
    ja(label('l4')),
    // A fragment header right after the fixed header.
    mark(frag),
    ensure(c, { base: R9, offset: 40 }, 8, drop),
    st('b', K, FlowKeys.IS_FRAG, 1),
    ldx('h', R5, R9, 42), // offset and M flag, network order
    ldx('b', R4, R9, 40),
    add(R9, 48),
    transport(),
    fragment(R5, net16(0xfff8, order), label),
  ];
}

function l4Part(order: ByteOrder, label: (n: string) => string, drop: string): Fragment {
  const c = cursor(order);
  const at = { base: R9, offset: 0 };
  const ports = { sourcePort: R1, destinationPort: R5, order: 'network', miss: drop } as const;
  return [
    mark(label('l4')),
    jeq(R4, IpProto.TCP, label('tcp')),
    jeq(R4, IpProto.UDP, label('udp')),
    ja(label('ok')),
    mark(label('tcp')),
    tcp(c, at, ports).code,
    ja(label('ports')),
    mark(label('udp')),
    udp(c, at, ports).code,
    mark(label('ports')),
    stx('h', K, R1, FlowKeys.SPORT),
    stx('h', K, R5, FlowKeys.DPORT),
  ];
}

function dissect(options: DissectOptions): Fragment {
  // Untyped callers may give no options at all: that is a missing byte order, not a TypeError.
  const o: Partial<DissectOptions> = options ?? {};
  const mistake = byteOrderMistake(o.byteOrder);
  if (mistake !== undefined) throw new FlowDissectorOptionError('dissect byteOrder', mistake);
  const order = o.byteOrder as ByteOrder; // 'little' or 'big': checked above
  const other = o.otherProtocols ?? 'BPF_DROP';
  if (other !== 'BPF_DROP' && other !== 'BPF_FLOW_DISSECTOR_CONTINUE')
    throw new FlowDissectorOptionError(
      'dissect otherProtocols',
      `${JSON.stringify(other)} is not BPF_DROP or BPF_FLOW_DISSECTOR_CONTINUE`,
    );
  const tags = o.vlanTags ?? 2;
  if (!Number.isInteger(tags) || tags < 0 || tags > MAX_DISSECTOR_VLAN_TAGS)
    throw new FlowDissectorOptionError(
      'dissect vlanTags',
      `${tags} is outside 0..${MAX_DISSECTOR_VLAN_TAGS}`,
    );
  const label = labelScope();
  const drop = label('drop');
  const ctx = FLOW_DISSECTOR_SK_BUFF.fields;
  return [
    loadPacketPointers(cursor(order), FLOW_DISSECTOR_CTX, {
      data: ctx.data.offset,
      dataEnd: ctx.data_end.offset,
    }),
    ldx('dw', K, FLOW_DISSECTOR_CTX, ctx.flow_keys.offset),
    ldx('h', R9, K, FlowKeys.NHOFF),
    jgt(R9, MAX_NHOFF, drop), // bounds the verifier needs to track offsets from data + nhoff
    add(R9, R7),
    ldx('h', R3, K, FlowKeys.N_PROTO),
    vlanTags(order, tags, label, drop),
    mark(label('l3')),
    jeq(R3, net16(EtherType.IPV4, order), label('v4')),
    jeq(R3, net16(EtherType.IPV6, order), label('v6')),
    mov(R0, FLOW_DISSECTOR_RETURN_CODES[other]),
    exit(),
    mark(label('v4')),
    ipv4Part(order, label, drop),
    mark(label('v6')),
    ipv6Part(order, label, drop),
    l4Part(order, label, drop),
    mark(label('ok')),
    mov(R0, BPF_OK),
    exit(),
    mark(drop),
    mov(R0, BPF_DROP),
    exit(),
  ];
}

/** Ready-made flow dissectors (bodies for `flowDissector().build(...)`), the plugin's templates. */
export const FLOW_DISSECTOR_TEMPLATES = Object.freeze({
  /**
   * Fills `struct bpf_flow_keys` from the packet at `data + keys->nhoff`, starting with the
   * EtherType in `keys->n_proto`: steps over up to `vlanTags` VLAN tags (updating `nhoff`
   * and `n_proto`), then IPv4 (addresses, protocol, options by the IHL, fragments: `is_frag`,
   * `is_first_frag`, L4 ports only of a first fragment with BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG)
   * or IPv6 (addresses, flow label — stopping there with
   * BPF_FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL —, up to four hop-by-hop / routing / destination
   * options headers, a fragment header right after the fixed header), then the TCP or UDP
   * ports; `thoff` is the L4 header's offset. Returns BPF_OK, BPF_DROP for a truncated or
   * malformed header or an `nhoff` above {@link MAX_NHOFF}, and `otherProtocols` for anything but IPv4 and IPv6. Not parsed (reported
   * as `ip_proto`, no ports): encapsulations (IP-in-IP, GRE: `is_encap` stays 0), a fragment
   * header after other IPv6 extension headers (stepped over like them).
   */
  dissect,
});
