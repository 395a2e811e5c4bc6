import { createServer, Socket } from 'node:net';
import { inNetns } from '@ts-ebpf/programs';
import {
  bind,
  close,
  getsockname,
  getsockopt,
  setsockopt,
  sockaddrIn,
  sockaddrInPort,
  socket,
} from '@ts-ebpf/syscall';
import { AddressFamily, IpProto, SocketType, TcpSocketOption } from '@ts-ebpf/uapi';

/** The congestion control a TCP socket uses (`getsockopt(TCP_CONGESTION)`). */
export function congestionOf(fd: number): string {
  const buf = new Uint8Array(16);
  const n = getsockopt(fd, IpProto.TCP, TcpSocketOption.CONGESTION, buf);
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? n : end));
}

/**
 * Sends `bytes` over a loopback TCP connection inside `netns` whose sending socket selected
 * congestion control `cc` with `setsockopt(TCP_CONGESTION)` before connecting. The sockets are
 * made inside the namespace (a socket stays in the namespace it was made in), then handed to
 * Node's net module. Returns the congestion control the sender reported while connected.
 */
export async function sendWithCongestionControl(netns: string, cc: string, bytes: number): Promise<string> {
  const [listenFd, clientFd] = inNetns(netns, () => {
    const l = socket(AddressFamily.INET, SocketType.STREAM | SocketType.CLOEXEC, 0);
    const c = socket(AddressFamily.INET, SocketType.STREAM | SocketType.CLOEXEC, 0);
    return [l, c] as const;
  });
  let received = 0;
  let server: ReturnType<typeof createServer> | undefined;
  let client: Socket | undefined;
  try {
    bind(listenFd, sockaddrIn(0, '127.0.0.1'));
    const addr = new Uint8Array(16);
    getsockname(listenFd, addr);
    const port = sockaddrInPort(addr);
    setsockopt(clientFd, IpProto.TCP, TcpSocketOption.CONGESTION, new TextEncoder().encode(cc));
    const done = new Promise<void>((resolve, reject) => {
      server = createServer((s) => {
        s.on('data', (d) => {
          received += d.length;
          if (received >= bytes) resolve();
        });
        s.on('error', reject);
      });
      server.on('error', reject);
    });
    await new Promise<void>((r) => server!.listen({ fd: listenFd }, r));
    client = new Socket({ fd: clientFd, readable: true, writable: true });
    await new Promise<void>((resolve, reject) => {
      client!.once('error', reject);
      client!.connect(port, '127.0.0.1', resolve);
    });
    const used = congestionOf(clientFd);
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    for (let sent = 0; sent < bytes; sent += chunk.length) client.write(chunk);
    await Promise.race([
      done,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`only ${received} of ${bytes} bytes arrived`)), 15_000),
      ),
    ]);
    return used;
  } finally {
    if (client) client.destroy();
    else close(clientFd);
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    else close(listenFd);
  }
}
