import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { inNetns, netnsPath } from '@ts-ebpf/programs';
import {
  BpfSyscallError,
  bind,
  close,
  connect,
  recvfrom,
  sendto,
  setsockopt,
  sockaddrIn,
  socket,
} from '@ts-ebpf/syscall';
import { AddressFamily, MsgFlag, SocketLevel, SocketOption, SocketType } from '@ts-ebpf/uapi';

/** A fresh network namespace, named after its tag and the test process (loopback up; all of 127/8 is local). */
export class TestNetns {
  readonly name: string;
  readonly path: string;

  /** `tag` (a few letters) keeps the test files of this package apart. */
  constructor(tag: string) {
    this.name = `tsebpf-${tag}${process.pid % 100000}`;
    this.path = netnsPath(this.name);
  }

  create(): this {
    execFileSync('ip', ['netns', 'add', this.name], { stdio: 'pipe' });
    execFileSync('ip', ['-n', this.name, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
    return this;
  }

  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
  }

  /** A socket of `type` made in the namespace (and bound there to `address:port` when given). */
  socket(type: number, address?: string, port?: number): number {
    return inNetns(this.path, () => {
      const fd = socket(AddressFamily.INET, type, 0);
      try {
        if (port !== undefined) {
          setsockopt(fd, SocketLevel.SOCKET, SocketOption.REUSEADDR, new Uint8Array([1, 0, 0, 0]));
          bind(fd, sockaddrIn(port, address));
        }
        return fd;
      } catch (e) {
        close(fd);
        throw e;
      }
    });
  }

  /**
   * A TCP server listening in the namespace on `address:port` (and its socket's fd, which the
   * server owns); each connection's bytes go to `onData`.
   */
  async listen(
    address: string,
    port: number,
    onData: (conn: TcpSocket, data: string) => void,
  ): Promise<{ server: Server; fd: number }> {
    const fd = this.socket(SocketType.STREAM, address, port);
    const server = createServer((conn) => conn.on('data', (d) => onData(conn, d.toString())));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, resolve);
    });
    return { server, fd };
  }

  /**
   * Connects from inside the namespace to `address:port` and sends `text`; the errno name
   * (`ECONNREFUSED`) when the connection is refused.
   */
  connectAndSend(address: string, port: number, text: string): 'ok' | string {
    const fd = this.socket(SocketType.STREAM);
    try {
      inNetns(this.path, () => connect(fd, sockaddrIn(port, address)));
      sendto(fd, new TextEncoder().encode(text));
      return 'ok';
    } catch (e) {
      if (e instanceof BpfSyscallError) return e.code;
      throw e;
    } finally {
      close(fd);
    }
  }

  /** A non-blocking UDP socket bound in the namespace. */
  udp(address: string, port: number): number {
    return this.socket(SocketType.DGRAM | SocketType.NONBLOCK, address, port);
  }

  /** Sends `text` from a UDP socket in the namespace (bound to 127.0.0.1:`fromPort` if given) to `address:port`. */
  sendUdp(address: string, port: number, text: string, fromPort?: number): void {
    const fd = this.socket(SocketType.DGRAM, fromPort === undefined ? undefined : '127.0.0.1', fromPort);
    try {
      inNetns(this.path, () => sendto(fd, new TextEncoder().encode(text), 0, sockaddrIn(port, address)));
    } finally {
      close(fd);
    }
  }
}

/** Every datagram waiting on the non-blocking socket `fd`, as text. */
export function drain(fd: number): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(256);
  for (;;) {
    let n: number;
    try {
      n = recvfrom(fd, buf, MsgFlag.DONTWAIT);
    } catch (e) {
      if (e instanceof BpfSyscallError && e.code === 'EAGAIN') return out;
      throw e;
    }
    out.push(new TextDecoder().decode(buf.subarray(0, n)));
  }
}

/** Waits until `check()` holds (polling), or fails after `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
