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
import { AddressFamily, HOST_LITTLE_ENDIAN, IpProto, SocketType, TcpSocketOption } from '@ts-ebpf/uapi';

/** Offsets in `struct tcp_info` (linux/tcp.h). */
const TCPI_SND_SSTHRESH = 76;
const TCPI_SND_CWND = 80;

/** What a sender saw of its connection. */
export interface FlowReport {
  /** `getsockopt(TCP_CONGESTION)` while connected. */
  readonly congestion: string;
  /** `tcpi_snd_cwnd` after each chunk was queued. */
  readonly cwnd: readonly number[];
  /** `tcpi_snd_ssthresh` at the end. */
  readonly ssthresh: number;
}

function tcpInfo(fd: number): DataView {
  const buf = new Uint8Array(232);
  getsockopt(fd, IpProto.TCP, TcpSocketOption.INFO, buf);
  return new DataView(buf.buffer);
}

/** `getsockopt(TCP_CONGESTION)` of a TCP socket. */
export function congestionOf(fd: number): string {
  const buf = new Uint8Array(16);
  const n = getsockopt(fd, IpProto.TCP, TcpSocketOption.CONGESTION, buf);
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? n : end));
}

/**
 * Opens a loopback TCP connection inside `netns` whose client selected `cc`
 * (`setsockopt(TCP_CONGESTION)`) before connecting, sends `bytes` in 64 KiB chunks, sampling
 * `tcpi_snd_cwnd` as it goes. The connection stays open until
 * `close()` (a test may unregister the congestion control under it).
 */
export async function tcpFlow(
  netns: string,
  cc: string,
  bytes: number,
): Promise<FlowReport & { congestionNow: () => string; close: () => Promise<void> }> {
  const [listenFd, clientFd] = inNetns(netns, () => [
    socket(AddressFamily.INET, SocketType.STREAM | SocketType.CLOEXEC, 0),
    socket(AddressFamily.INET, SocketType.STREAM | SocketType.CLOEXEC, 0),
  ]);
  let server: ReturnType<typeof createServer> | undefined;
  let client: Socket | undefined;
  const closeAll = async () => {
    if (client) client.destroy();
    else close(clientFd!);
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    else close(listenFd!);
  };
  try {
    bind(listenFd!, sockaddrIn(0, '127.0.0.1'));
    const addr = new Uint8Array(16);
    getsockname(listenFd!, addr);
    const port = sockaddrInPort(addr);
    setsockopt(clientFd!, IpProto.TCP, TcpSocketOption.CONGESTION, new TextEncoder().encode(cc));
    let received = 0;
    let arrived: () => void = () => {};
    const sockets: Socket[] = [];
    server = createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => {
        received += d.length;
        if (received >= bytes) arrived();
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen({ fd: listenFd! }, r));
    client = new Socket({ fd: clientFd!, readable: true, writable: true });
    await new Promise<void>((resolve, reject) => {
      client!.once('error', reject);
      client!.connect(port, '127.0.0.1', resolve);
    });
    const congestionNow = () => congestionOf(clientFd!);
    const congestion = congestionNow();
    const done = new Promise<void>((r) => {
      arrived = r;
    });
    const cwnd: number[] = [];
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      const flushed = client.write(chunk);
      cwnd.push(tcpInfo(clientFd!).getUint32(TCPI_SND_CWND, HOST_LITTLE_ENDIAN));
      if (!flushed) await new Promise((r) => client!.once('drain', r));
    }
    await Promise.race([
      done,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`only ${received} of ${bytes} bytes arrived`)), 15_000),
      ),
    ]);
    cwnd.push(tcpInfo(clientFd!).getUint32(TCPI_SND_CWND, HOST_LITTLE_ENDIAN));
    const ssthresh = tcpInfo(clientFd!).getUint32(TCPI_SND_SSTHRESH, HOST_LITTLE_ENDIAN);
    return { congestion, cwnd, ssthresh, congestionNow, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
