/**
 * A TCP congestion control written in TypeScript: the Reno template of
 * @ts-ebpf/dsl-struct-ops, wrapped so every callback counts itself into a map, registered
 * through a bpf_link, selected by a connection in a network namespace of its own, then
 * unregistered. Prints the window growing in slow start and the callback counts.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/struct-ops-reno.ts
 */
import { execFileSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { countingCc, defineStructOps, describeStructOps, renoCc } from '@ts-ebpf/dsl-struct-ops';
import { LoadedStructOps } from '@ts-ebpf/dsl-struct-ops/kernel';
import { ArrayMap, u64 } from '@ts-ebpf/maps';
import { inNetns } from '@ts-ebpf/programs';
import {
  bind,
  getsockname,
  getsockopt,
  setsockopt,
  sockaddrIn,
  sockaddrInPort,
  socket,
} from '@ts-ebpf/syscall';
import { AddressFamily, HOST_LITTLE_ENDIAN, IpProto, SocketType, TcpSocketOption } from '@ts-ebpf/uapi';

const name = `ts_reno${process.pid % 10000}`;
const netns = `tsebpf-example-so${process.pid}`;

const ops = describeStructOps(kernelBtf(), 'tcp_congestion_ops');
using counts = ArrayMap.create({ value: u64, maxEntries: ops.callbacks.size + ops.data.size });
const reno = countingCc(ops, renoCc(name), 'counts', ['init', 'set_state', 'cwnd_event', 'release']);
using loaded = LoadedStructOps.load(defineStructOps(ops, reno), { maps: { counts } });

execFileSync('ip', ['netns', 'add', netns]);
try {
  // An Ethernet-sized MTU, so that the sender is limited by its window and slow start shows.
  execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'mtu', '1500', 'up']);
  using _registered = loaded.register();
  const [listenFd, clientFd] = inNetns(`/run/netns/${netns}`, () => [
    socket(AddressFamily.INET, SocketType.STREAM, 0),
    socket(AddressFamily.INET, SocketType.STREAM, 0),
  ]) as [number, number];
  bind(listenFd, sockaddrIn(0, '127.0.0.1'));
  const address = new Uint8Array(16);
  getsockname(listenFd, address);
  setsockopt(clientFd, IpProto.TCP, TcpSocketOption.CONGESTION, new TextEncoder().encode(name));

  const total = 8 << 20;
  let received = 0;
  const server = createServer((s) => s.on('data', (d) => (received += d.length)));
  await new Promise<void>((r) => server.listen({ fd: listenFd }, r));
  const client = new Socket({ fd: clientFd, readable: true, writable: true });
  await new Promise<void>((r) => client.connect(sockaddrInPort(address), '127.0.0.1', r));
  const cwnd = () => {
    const info = new Uint8Array(232);
    getsockopt(clientFd, IpProto.TCP, TcpSocketOption.INFO, info);
    return new DataView(info.buffer).getUint32(80, HOST_LITTLE_ENDIAN); // tcpi_snd_cwnd
  };
  const seen = [cwnd()];
  for (let sent = 0; sent < total; sent += 1 << 16) {
    if (!client.write(Buffer.alloc(1 << 16))) await new Promise((r) => client.once('drain', r));
    seen.push(cwnd());
  }
  while (received < total) await new Promise((r) => setTimeout(r, 10));
  client.destroy();
  await new Promise((r) => server.close(r));
  console.log(`${name}: cwnd ${seen[0]} → ${Math.max(...seen)} packets over ${total >> 20} MiB`);
  for (const cb of ops.callbacks.values()) {
    const n = counts.get(cb.index) ?? 0n;
    if (n > 0n) console.log(`  ${cb.name}: ${n} calls`);
  }
} finally {
  execFileSync('ip', ['netns', 'del', netns]);
}
