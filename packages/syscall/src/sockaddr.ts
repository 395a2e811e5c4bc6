import { AddressFamily, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { BpfArgumentError } from './errors.js';
import { checkInt } from './validate.js';

/**
 * An encoded `struct sockaddr_in` (16 bytes: family in host order, port and address in network
 * order) for `bind`, `connect` and `sendto`.
 * @param address dotted IPv4, e.g. `'127.0.0.1'` (default `0.0.0.0`)
 */
export function sockaddrIn(port: number, address = '0.0.0.0'): Uint8Array {
  checkInt(port, 'port', 0, 0xffff);
  const texts = address.split('.');
  const parts = texts.map(Number);
  if (texts.length !== 4 || texts.some((t) => !/^\d{1,3}$/.test(t)) || parts.some((p) => p > 255)) {
    throw new BpfArgumentError('address', `${JSON.stringify(address)} is not a dotted IPv4 address`);
  }
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint16(0, AddressFamily.INET, HOST_LITTLE_ENDIAN);
  v.setUint16(2, port, false);
  out.set(parts, 4);
  return out;
}

/** The port of an encoded `sockaddr_in` (e.g. filled by `getsockname`). */
export function sockaddrInPort(addr: Uint8Array): number {
  return new DataView(addr.buffer, addr.byteOffset, addr.byteLength).getUint16(2, false);
}
