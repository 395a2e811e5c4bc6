/** Socket system calls: socket, bind, connect, send, receive, socket options. */
import { forgetFd } from '../fd-cache.js';
import { checkBuffer, checkFd, checkInt, checkU32, INT_MAX } from '../validate.js';
import { fail, n } from './native.js';

/** `socket(domain, type, protocol)`. */
export function sysSocket(domain: number, type: number, protocol: number): number {
  checkInt(domain, 'domain', 0, INT_MAX);
  checkInt(type, 'type', 0, INT_MAX);
  checkInt(protocol, 'protocol', 0, INT_MAX);
  const ret = n().int3(n().nr.socket, domain, type, protocol);
  if (ret < 0) fail({ syscall: 'socket', detail: `domain ${domain}, type ${type}` });
  forgetFd(ret);
  return ret;
}

/** `bind(fd, addr, addrlen)` with an encoded sockaddr (see `sockaddrIn`). */
export function sysBind(fd: number, addr: Uint8Array): void {
  checkFd(fd);
  checkBuffer(addr, 'bind', 'addr', 1, 'a sockaddr');
  if (n().intPtrLong(n().nr.bind, fd, addr, addr.byteLength) < 0)
    fail({ syscall: 'bind', detail: `fd ${fd}` });
}

/** `getsockname(fd, addr, &addrlen)` into `addr`. @returns the address length. */
export function sysGetsockname(fd: number, addr: Uint8Array): number {
  checkFd(fd);
  checkBuffer(addr, 'getsockname', 'addr', 1, 'room for a sockaddr');
  const len = new Uint32Array([addr.byteLength]);
  if (n().intPtrPtr(n().nr.getsockname, fd, addr, len) < 0) {
    fail({ syscall: 'getsockname', detail: `fd ${fd}` });
  }
  return len[0]!;
}

/** `connect(fd, addr, addrlen)`. */
export function sysConnect(fd: number, addr: Uint8Array): void {
  checkFd(fd);
  checkBuffer(addr, 'connect', 'addr', 1, 'a sockaddr');
  if (n().intPtrLong(n().nr.connect, fd, addr, addr.byteLength) < 0) {
    fail({ syscall: 'connect', detail: `fd ${fd}` });
  }
}

/** `sendto(fd, buf, len, flags, addr, addrlen)` (addr null: a connected socket). @returns bytes sent. */
export function sysSendto(fd: number, data: Uint8Array, flags = 0, addr: Uint8Array | null = null): number {
  checkFd(fd);
  checkU32(flags, 'flags');
  checkBuffer(data, 'sendto', 'data', 0);
  if (addr) checkBuffer(addr, 'sendto', 'addr', 1, 'a sockaddr');
  const ret = n().sendto(n().nr.sendto, fd, data, data.byteLength, flags, addr, addr?.byteLength ?? 0);
  if (ret < 0) fail({ syscall: 'sendto', detail: `fd ${fd}` });
  return ret;
}

/** `sendto(fd, buf, len, flags, NULL, 0)` that returns `-errno` instead of throwing (AF_XDP wake-ups). */
export function sysSendtoTry(fd: number, data: Uint8Array, flags: number): number {
  checkBuffer(data, 'sendto', 'data', 0);
  const ret = n().sendto(n().nr.sendto, fd, data, data.byteLength, flags, null, 0);
  return ret < 0 ? -n().koffi.errno() : ret;
}

/** `recvfrom(fd, buf, len, flags, NULL, NULL)` that returns `-errno` instead of throwing. */
export function sysRecvfromTry(fd: number, buf: Uint8Array, flags: number): number {
  checkBuffer(buf, 'recvfrom', 'buf', 0);
  const ret = n().recvfrom(n().nr.recvfrom, fd, buf, buf.byteLength, flags, null, null);
  return ret < 0 ? -n().koffi.errno() : ret;
}

/** `recvfrom(fd, buf, len, flags, NULL, NULL)`. @returns bytes received. */
export function sysRecvfrom(fd: number, buf: Uint8Array, flags = 0): number {
  checkFd(fd);
  checkU32(flags, 'flags');
  checkBuffer(buf, 'recvfrom', 'buf', 0);
  const ret = n().recvfrom(n().nr.recvfrom, fd, buf, buf.byteLength, flags, null, null);
  if (ret < 0) fail({ syscall: 'recvfrom', detail: `fd ${fd}` });
  return ret;
}

/** Checks the socket, level and option number of a `setsockopt` or `getsockopt`. */
function checkSockopt(fd: number, level: number, name: number): void {
  checkFd(fd);
  checkInt(level, 'level', 0, INT_MAX);
  checkInt(name, 'option', 0, INT_MAX);
}

/**
 * `setsockopt(fd, level, name, value, len)`: the kernel reads `value.byteLength` bytes of
 * `value`, which is checked to be a live buffer. A struct that carries an address the caller put
 * in it (`XDP_UMEM_REG`'s `struct xdp_umem_reg`: `addr` and `len`, the UMEM the kernel pins and
 * DMAs into) cannot be checked here: the caller must guarantee the address and length describe
 * memory it owns, mapped, page-aligned and writable, and keep it mapped as long as the kernel may
 * use it (for a UMEM, while the socket is open; unmapping it earlier leaves the kernel with pinned
 * pages the process no longer sees). `xdpUmemRegister` builds that struct from a `MappedMemory`
 * and checks it: prefer it.
 */
export function sysSetsockopt(fd: number, level: number, name: number, value: Uint8Array): void {
  checkSockopt(fd, level, name);
  checkBuffer(value, 'setsockopt', 'value', 0);
  if (n().sockopt(n().nr.setsockopt, fd, level, name, value, value.byteLength) < 0) {
    fail({ syscall: 'setsockopt', detail: `level ${level}, option ${name}` });
  }
}

/** `getsockopt(fd, level, name, value, &len)`: the length the kernel wrote. */
export function sysGetsockopt(fd: number, level: number, name: number, value: Uint8Array): number {
  checkSockopt(fd, level, name);
  checkBuffer(value, 'getsockopt', 'value', 0);
  const len = new Uint32Array([value.byteLength]);
  if (n().sockoptGet(n().nr.getsockopt, fd, level, name, value, len) < 0) {
    fail({ syscall: 'getsockopt', detail: `level ${level}, option ${name}` });
  }
  return len[0]!;
}
