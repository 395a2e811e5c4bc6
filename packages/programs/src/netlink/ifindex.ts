import { close, ioctl, socket } from '@ts-ebpf/syscall';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFINDEX = 0x8933;

/** A network interface: its name (looked up in this thread's network namespace) or ifindex. */
export type Interface = string | number;

/** The ifindex of an interface name in the calling thread's network namespace (SIOCGIFINDEX). */
export function ifindex(iface: Interface): number {
  if (typeof iface === 'number') return iface;
  const name = new TextEncoder().encode(iface);
  if (name.byteLength === 0 || name.byteLength > 15) throw new TypeError(`bad interface name '${iface}'`);
  const ifreq = new Uint8Array(40);
  ifreq.set(name);
  const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  try {
    ioctl(fd, SIOCGIFINDEX, ifreq);
  } finally {
    close(fd);
  }
  return new DataView(ifreq.buffer).getInt32(16, true);
}
