import { EtherType } from '@ts-ebpf/dsl-packet';
import {
  BPF_FLOW_KEYS_LAYOUT,
  type ByteOrder,
  byteOrderMistake,
  describeValue,
  ipv4Text,
  ipv6Text,
  isLittleEndian,
} from '@ts-ebpf/uapi';
import { FlowDissectorOptionError, FlowKeysBytesError } from './errors.js';

const { type: STRUCT, size: SIZE, fields: F } = BPF_FLOW_KEYS_LAYOUT;

/**
 * A `struct bpf_flow_keys` decoded by {@link decodeFlowKeys}: every field as a number you
 * compare with the constant you know (ports as port numbers, `nProto` as an EtherType such as
 * `ETH_P_IP` = 0x0800, whatever the byte order the kernel keeps it in), the addresses as text.
 */
export interface FlowKeysData {
  /** `nhoff` (host order): the network header's offset from the start of the packet data. */
  readonly nhoff: number;
  /** `thoff` (host order): the transport header's offset from the start of the packet data. */
  readonly thoff: number;
  /** `addr_proto` (host order): `ETH_P_IP` (0x0800) or `ETH_P_IPV6` (0x86dd), which addresses are valid; 0 for none. */
  readonly addrProto: number;
  /** `is_frag`: 1 for a fragment (the program's byte as is: 0 or 1 from the usual dissectors). */
  readonly isFrag: number;
  /** `is_first_frag`: 1 for the first fragment. */
  readonly isFirstFrag: number;
  /** `is_encap`: 1 when the flow is inside an encapsulation. */
  readonly isEncap: number;
  /** `ip_proto`: the transport protocol (`IPPROTO_*`, `IpProto` of `@ts-ebpf/uapi`). */
  readonly ipProto: number;
  /**
   * `n_proto`: the network protocol, an EtherType (`0x0800` for IPv4, `0x86dd` for IPv6, `EtherType`
   * of `@ts-ebpf/dsl-packet`). The struct keeps it big-endian (`__be16`); this is its value.
   */
  readonly nProto: number;
  /** `sport`: the source port (network order in the struct; this is the port number). */
  readonly sport: number;
  /** `dport`: the destination port (network order in the struct; this is the port number). */
  readonly dport: number;
  /**
   * The source address as text: `ipv4_src` dotted (`'10.0.0.1'`) when `addrProto` is
   * `ETH_P_IP`, `ipv6_src` in RFC 5952 form (`'2001:db8::1'`) when it is `ETH_P_IPV6`,
   * undefined otherwise (the union's bytes mean nothing then; read them with `FlowKeys`
   * offsets if your program gives them a meaning).
   */
  readonly src: string | undefined;
  /** The destination address as text, as {@link FlowKeysData.src}. */
  readonly dst: string | undefined;
  /** `flags` (host order): the `BPF_FLOW_DISSECTOR_F_*` bits the dissector was called with (`FlowDissectorFlag`). */
  readonly flags: number;
  /** `flow_label`: the IPv6 flow label (big-endian in the struct; this is its value, 20 bits from the usual dissectors). */
  readonly flowLabel: number;
}

function orderOf(byteOrder: ByteOrder, fn: string): boolean {
  const mistake = byteOrderMistake(byteOrder);
  if (mistake !== undefined) throw new FlowDissectorOptionError(`${fn} byteOrder`, mistake);
  return isLittleEndian(byteOrder);
}

/**
 * Decodes the `struct bpf_flow_keys` at the start of `bytes`: what a flow dissector's
 * `Program.testRun` returns as `data` (the kernel fills the test run's output data with the
 * keys, not with the packet). `byteOrder` is the kernel's (`HOST_BYTE_ORDER` of
 * `@ts-ebpf/uapi` for this machine): it orders `nhoff`, `thoff`, `addr_proto` and `flags`;
 * the network-order fields are decoded to the numbers you compare with (see
 * {@link FlowKeysData}). Takes any `Uint8Array` (a `Buffer`, a subarray at any offset) and
 * only reads it; bytes past the struct's 56 are ignored (a newer kernel may append fields).
 * Throws {@link FlowKeysBytesError} for a shorter buffer or one that is not a `Uint8Array`,
 * {@link FlowDissectorOptionError} for a byte order that is not one.
 */
export function decodeFlowKeys(bytes: Uint8Array, byteOrder: ByteOrder): FlowKeysData {
  const little = orderOf(byteOrder, 'decodeFlowKeys');
  if (!(bytes instanceof Uint8Array))
    throw new FlowKeysBytesError(STRUCT, SIZE, undefined, `${describeValue(bytes)} is not a Uint8Array`);
  if (bytes.byteLength < SIZE)
    throw new FlowKeysBytesError(
      STRUCT,
      SIZE,
      bytes.byteLength,
      `needs ${SIZE} bytes, got ${bytes.byteLength} (a flow dissector's testRun data holds them)`,
    );
  const v = new DataView(bytes.buffer, bytes.byteOffset, SIZE);
  const host16 = (at: number) => v.getUint16(at, little);
  const addrProto = host16(F.addr_proto.offset);
  const address = (v4: number, v6: number) =>
    addrProto === EtherType.IPV4
      ? ipv4Text(bytes, v4)
      : addrProto === EtherType.IPV6
        ? ipv6Text(bytes, v6)
        : undefined;
  return {
    nhoff: host16(F.nhoff.offset),
    thoff: host16(F.thoff.offset),
    addrProto,
    isFrag: v.getUint8(F.is_frag.offset),
    isFirstFrag: v.getUint8(F.is_first_frag.offset),
    isEncap: v.getUint8(F.is_encap.offset),
    ipProto: v.getUint8(F.ip_proto.offset),
    nProto: v.getUint16(F.n_proto.offset, false),
    sport: v.getUint16(F.sport.offset, false),
    dport: v.getUint16(F.dport.offset, false),
    src: address(F.ipv4_src.offset, F['ipv6_src[0]'].offset),
    dst: address(F.ipv4_dst.offset, F['ipv6_dst[0]'].offset),
    flags: v.getUint32(F.flags.offset, little),
    flowLabel: v.getUint32(F.flow_label.offset, false),
  };
}

/**
 * The `ctx` of a flow dissector's `Program.testRun`: a zeroed `struct bpf_flow_keys` (56
 * bytes) with only `flags` set (host order of `byteOrder`, the kernel's), the
 * `BPF_FLOW_DISSECTOR_F_*` bits (`FlowDissectorFlag`) the program then finds in
 * `flow_keys->flags`. Only `flags`, because the kernel refuses a test-run context with any
 * other byte set (EINVAL): it fills `nhoff` and `n_proto` itself from the Ethernet header.
 * Throws {@link FlowDissectorOptionError} for flags that are not a u32 or a byte order that is not one.
 */
export function flowKeysTestCtx(flags: number, byteOrder: ByteOrder): Uint8Array {
  const little = orderOf(byteOrder, 'flowKeysTestCtx');
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff)
    throw new FlowDissectorOptionError('flowKeysTestCtx flags', `${describeValue(flags)} is not a u32`);
  const ctx = new Uint8Array(SIZE);
  new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength).setUint32(F.flags.offset, flags, little);
  return ctx;
}
