import { BpfArgumentError, BpfSyscallError, close, ioctl, socket } from '@ts-ebpf/syscall';
import { AddressFamily, HOST_LITTLE_ENDIAN, SocketType } from '@ts-ebpf/uapi';
import { InterfaceNotFoundError } from '../errors.js';

const SIOCGIFINDEX = 0x8933;
/** IFNAMSIZ - 1: the longest interface name (linux/if.h). */
const MAX_NAME_BYTES = 15;

/** A network interface: its name (looked up in this thread's network namespace) or ifindex. */
export type Interface = string | number;

/**
 * The ifindex of an interface name in the calling thread's network namespace (SIOCGIFINDEX); an
 * ifindex given as a number is checked to exist there (SIOCGIFNAME) and returned.
 * @throws BpfArgumentError for an empty name, one over 15 bytes or with a NUL, or a bad ifindex
 * @throws InterfaceNotFoundError when the namespace has no such interface (name or ifindex)
 */
export function ifindex(iface: Interface): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface <= 0 || iface > 0x7fffffff)
      throw new BpfArgumentError('interface', `ifindex ${iface} is not a positive 32-bit integer`);
    // checked here, as a name is: the kernel's refusals of a missing ifindex (EINVAL from a
    // link create, ENODEV from netlink) do not say which argument was wrong
    if (ifname(iface) === undefined) throw new InterfaceNotFoundError(iface);
    return iface;
  }
  const name = new TextEncoder().encode(iface);
  if (name.byteLength === 0) throw new BpfArgumentError('interface name', 'the name is empty');
  if (name.byteLength > MAX_NAME_BYTES)
    throw new BpfArgumentError(
      'interface name',
      `'${iface}' is ${name.byteLength} bytes; interface names are at most ${MAX_NAME_BYTES}`,
    );
  if (name.includes(0)) throw new BpfArgumentError('interface name', `'${iface}' contains a NUL byte`);
  const ifreq = new Uint8Array(40);
  ifreq.set(name);
  const fd = socket(AddressFamily.INET, SocketType.DGRAM | SocketType.CLOEXEC, 0);
  try {
    ioctl(fd, SIOCGIFINDEX, ifreq);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'ENODEV')
      throw new InterfaceNotFoundError(iface, { cause: e });
    throw e;
  } finally {
    close(fd);
  }
  // struct ifreq: the name (IFNAMSIZ = 16 bytes), then ifr_ifindex (int, host order).
  return new DataView(ifreq.buffer, ifreq.byteOffset, ifreq.byteLength).getInt32(16, HOST_LITTLE_ENDIAN);
}

const SIOCGIFNAME = 0x8910;

/**
 * The name of the interface with this ifindex in the calling thread's network namespace
 * (SIOCGIFNAME), or undefined when there is none.
 */
export function ifname(index: number): string | undefined {
  const ifreqStorage = new ArrayBuffer(40);
  const ifreq = new Uint8Array(ifreqStorage);
  new DataView(ifreqStorage).setInt32(16, index, HOST_LITTLE_ENDIAN);
  const fd = socket(AddressFamily.INET, SocketType.DGRAM | SocketType.CLOEXEC, 0);
  try {
    ioctl(fd, SIOCGIFNAME, ifreq);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.code === 'ENODEV') return undefined;
    throw e;
  } finally {
    close(fd);
  }
  const end = ifreq.indexOf(0);
  return new TextDecoder().decode(ifreq.subarray(0, end < 0 || end > 16 ? 16 : end));
}

/** How an interface appears in messages: `'eth0'`, or `'ifindex 7 (eth0)'` for a number. */
export function describeInterface(iface: Interface): string {
  if (typeof iface === 'string') return `'${iface}'`;
  const name = ifname(iface);
  return name === undefined ? `ifindex ${iface}` : `'${name}' (ifindex ${iface})`;
}
