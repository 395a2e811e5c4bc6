import { Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Server, type Socket as TcpSocket } from 'node:net';
import { BpfTcpState } from '@ts-ebpf/uapi';
import { openFds } from './fds.js';

/** A row of /proc/self/net/{tcp,udp}[6]: ports and the socket's inode. */
interface SocketRow {
  readonly localPort: number;
  readonly remotePort: number;
  readonly state: number;
  readonly inode: string;
}

function rows(table: 'tcp' | 'udp'): SocketRow[] {
  const out: SocketRow[] = [];
  for (const file of [table, `${table}6`]) {
    const lines = readFileSync(`/proc/self/net/${file}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const port = (address: string) => Number.parseInt(address.split(':')[1]!, 16);
      out.push({
        localPort: port(f[1]!),
        remotePort: port(f[2]!),
        state: Number.parseInt(f[3]!, 16),
        inode: f[9]!,
      });
    }
  }
  return out;
}

/**
 * The file descriptor under a Node socket (a UDP socket, a TCP connection or a listening
 * server), found through public interfaces only: its ports (Node's `address()`,
 * `localPort`, `remotePort`) name its row in /proc/self/net, whose inode names the
 * `socket:[inode]` entry in /proc/self/fd. (Node's private `_handle.fd` is deprecated, DEP0112.)
 * The socket must be bound (UDP), connected (TCP) or listening (server).
 */
export function socketFd(socket: UdpSocket | TcpSocket | Server): number {
  let match: (row: SocketRow) => boolean;
  if (socket instanceof UdpSocket) {
    const port = socket.address().port;
    match = (r) => r.localPort === port;
  } else if (socket instanceof Server) {
    const port = (socket.address() as { port: number }).port;
    // /proc/net/tcp shows the kernel's TCP_LISTEN, the number BPF_TCP_LISTEN mirrors
    match = (r) => r.localPort === port && r.state === BpfTcpState.LISTEN;
  } else {
    const { localPort, remotePort } = socket;
    if (localPort === undefined || remotePort === undefined)
      throw new Error('socketFd: the TCP socket is not connected');
    match = (r) => r.localPort === localPort && r.remotePort === remotePort;
  }
  const inodes = new Set(
    rows(socket instanceof UdpSocket ? 'udp' : 'tcp')
      .filter((r) => match(r) && r.inode !== '0')
      .map((r) => `socket:[${r.inode}]`),
  );
  const fds = [...openFds()].filter(([, target]) => inodes.has(target)).map(([fd]) => fd);
  if (fds.length !== 1)
    throw new Error(`socketFd: ${fds.length} descriptors match the socket (${[...inodes].join(', ')})`);
  return fds[0]!;
}
