import {
  be,
  type Fragment,
  type Instruction,
  ldx,
  type Operand,
  type Register,
  setArg as setPluginArg,
} from '@ts-ebpf/dsl';
import { AddressFamily, type ByteOrder, byteOrderMistake, IpProto } from '@ts-ebpf/uapi';
import { SK_LOOKUP } from './context.js';
import { SkLookupArgumentError } from './errors.js';
import { SK_LOOKUP_CTX } from './plugin.js';

/** A register, or a constant that fits a signed 32-bit immediate. */
export type Value = Operand;

/** `family` values (`AF_INET`, `AF_INET6`; `AddressFamily` of `@ts-ebpf/uapi`). */
export const SkLookupFamily = Object.freeze({
  INET: AddressFamily.INET,
  INET6: AddressFamily.INET6,
} as const);

/** `protocol` values (`IPPROTO_*`, `IpProto` of `@ts-ebpf/uapi`): the two transports sk_lookup runs for. */
export const SkLookupProtocol = Object.freeze({ TCP: IpProto.TCP, UDP: IpProto.UDP } as const);

/** A transport by name. */
export type ProtocolName = 'tcp' | 'udp';

/** `IPPROTO_TCP` or `IPPROTO_UDP` for `name`; throws {@link SkLookupArgumentError} otherwise. */
export function protocolNumber(name: ProtocolName): number {
  if (name === 'tcp') return SkLookupProtocol.TCP;
  if (name === 'udp') return SkLookupProtocol.UDP;
  throw new SkLookupArgumentError('protocol', `${JSON.stringify(name)} is not 'tcp' or 'udp'`);
}

/** `dst = value`, refusing a constant that is not a 32-bit integer; nothing when `value` is `dst`. */
export function setArg(dst: Register, value: Value, name: string): Instruction[] {
  return setPluginArg(dst, value, name, (n, message) => new SkLookupArgumentError(n, message));
}

/** Checks that `port` is a port number (0–65535) and returns it. */
export function checkPort(port: number, name: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new SkLookupArgumentError(name, `${port} is not a port number (0–65535)`);
  return port;
}

/**
 * `dst` = the local or remote port **in host byte order**, from the context in `ctx`
 * (default {@link SK_LOOKUP_CTX}). `local_port` is a host-order u32 and is loaded as is;
 * `remote_port` is a network-order u16, loaded and then converted (`be16`, which swaps on a
 * little-endian target and only zero-extends on a big-endian one), so no byte order is needed.
 */
export function loadPort(which: 'local' | 'remote', dst: Register, ctx: Register = SK_LOOKUP_CTX): Fragment {
  if (which === 'local') return [ldx('w', dst, ctx, SK_LOOKUP.fields.local_port.offset)];
  if (which === 'remote') return [ldx('h', dst, ctx, SK_LOOKUP.fields.remote_port.offset), be(dst, 16)];
  throw new SkLookupArgumentError('port', `${JSON.stringify(which)} is not 'local' or 'remote'`);
}

/**
 * The 32-bit immediate a register equals after loading `local_ip4` or `remote_ip4` holding the
 * dotted IPv4 `address`, on a target of byte order `byteOrder` (`HOST_BYTE_ORDER` for the
 * running kernel). The fields are in network byte order, so the register holds the address
 * bytes read as a `byteOrder` integer. Returned as a signed 32-bit value: compare it with the
 * 32-bit jumps (`jeq32`, `jne32`), since a 64-bit compare sign-extends the immediate.
 * Throws {@link SkLookupArgumentError} naming `address` or `byteOrder` when either is not one.
 */
export function ipv4Word(address: string, byteOrder: ByteOrder): number {
  const mistake = byteOrderMistake(byteOrder);
  if (mistake !== undefined) throw new SkLookupArgumentError('byteOrder', mistake);
  const texts = address.split('.');
  if (texts.length !== 4 || texts.some((t) => !/^\d{1,3}$/.test(t) || Number(t) > 255))
    throw new SkLookupArgumentError('address', `${JSON.stringify(address)} is not a dotted IPv4 address`);
  const bytes = Uint8Array.from(texts.map(Number));
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0, byteOrder === 'little');
}
