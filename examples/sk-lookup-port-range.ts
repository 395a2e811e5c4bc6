/**
 * One listening socket serves a whole port range: an sk_lookup program built with
 * @ts-ebpf/dsl-sk-lookup, attached to a fresh network namespace, hands every TCP connection
 * to ports 8000–8009 to the socket listening on 127.0.0.1:7000. Ports outside the range are
 * refused as usual.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/sk-lookup-port-range.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { skLookup, steerPortRange } from '@ts-ebpf/dsl-sk-lookup';
import { SockMap } from '@ts-ebpf/maps';
import { attachNetns, inNetns, netnsPath, Program } from '@ts-ebpf/programs';
import { bind, close, sockaddrIn, socket } from '@ts-ebpf/syscall';
import { AddressFamily, SocketType } from '@ts-ebpf/uapi';

const ns = `tsebpf-example-skl${process.pid}`;
execFileSync('ip', ['netns', 'add', ns]);
try {
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // The listening socket is made inside the namespace; Node serves it from its fd.
  const fd = inNetns(netnsPath(ns), () => {
    const s = socket(AddressFamily.INET, SocketType.STREAM, 0);
    try {
      bind(s, sockaddrIn(7000, '127.0.0.1'));
      return s;
    } catch (e) {
      close(s);
      throw e;
    }
  });
  const seen: string[] = [];
  const server = createServer((conn) =>
    conn.on('data', (d) => seen.push(`port ${conn.localPort}: ${d.toString().trim()}`)),
  );
  await new Promise<void>((r) => server.listen({ fd }, r));
  try {
    using sockmap = SockMap.create({ maxEntries: 1 });
    sockmap.set(0, fd);
    using program = Program.load(
      skLookup().build(steerPortRange(sockmap, { from: 8000, to: 8009, protocol: 'tcp' })),
    );
    using _link = attachNetns(program, netnsPath(ns));
    const dial = (port: number) =>
      spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', `echo hello > /dev/tcp/127.0.0.1/${port}`])
        .status === 0;
    for (const port of [8000, 8004, 8009])
      console.log(`connect to ${port}: ${dial(port) ? 'accepted' : 'refused'}`);
    console.log(`connect to 8010: ${dial(8010) ? 'accepted' : 'refused'} (outside the range)`);
    const until = Date.now() + 3000;
    while (seen.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    for (const line of seen.sort()) console.log(`the one socket on 7000 got, on ${line}`);
    if (seen.length !== 3) throw new Error(`expected 3 connections on the one socket, got ${seen.length}`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
}
