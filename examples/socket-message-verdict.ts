/**
 * A message verdict by first bytes on TCP sockets in a sockmap, built with
 * @ts-ebpf/dsl-socket: writes that start with "GET " reach the server, any other write fails
 * with EACCES and never arrives.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/socket-message-verdict.ts
 */
import { createServer } from 'node:net';
import { SK_MSG_TEMPLATES, skMsg } from '@ts-ebpf/dsl-socket';
import { SockMap } from '@ts-ebpf/maps';
import { attachSockmap, Program } from '@ts-ebpf/programs';
import { BpfSyscallError, close, connect, sendto, sockaddrIn, socket } from '@ts-ebpf/syscall';
import { AddressFamily, SocketType } from '@ts-ebpf/uapi';

let received = '';
const server = createServer((conn) =>
  conn.on('data', (d) => {
    received += d.toString();
  }),
);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const client = socket(AddressFamily.INET, SocketType.STREAM, 0);
try {
  using sockmap = SockMap.create({ maxEntries: 1 });
  using verdict = Program.load(
    skMsg().build(SK_MSG_TEMPLATES.verdictByFirstBytes(new TextEncoder().encode('GET '))),
  );
  using _link = attachSockmap(verdict, sockmap);
  connect(client, sockaddrIn(port, '127.0.0.1'));
  sockmap.set(0, client);
  for (const message of ['GET /index.html\n', 'PUT /secret\n']) {
    try {
      sendto(client, new TextEncoder().encode(message));
      console.log(`sent ${JSON.stringify(message)}`);
    } catch (e) {
      if (!(e instanceof BpfSyscallError)) throw e;
      console.log(`refused ${JSON.stringify(message)}: ${e.code}`);
    }
  }
  const until = Date.now() + 3000;
  while (!received.includes('GET') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  console.log(`the server received ${JSON.stringify(received)}`);
  if (received !== 'GET /index.html\n') throw new Error('the verdict did not hold');
} finally {
  close(client);
  await new Promise<void>((r) => server.close(() => r()));
}
