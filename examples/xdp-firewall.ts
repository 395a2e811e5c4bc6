/**
 * An XDP firewall from templates on a veth interface: a port filter that drops UDP to port
 * 5300 (a UDP server on the host stops hearing its clients while it is attached), then
 * per-protocol counters. Sets up and removes its own network namespace and veth pair; needs root.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/xdp-firewall.ts
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { portFilter, protocolCounters, xdp } from '@ts-ebpf/dsl-xdp';
import { ArrayMap, u64 } from '@ts-ebpf/maps';
import { attachXdp, Program } from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { ExampleVeth } from './lib/veth.js';

const PORT = 5300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
using veth = new ExampleVeth('fw', 2);

// A UDP server on the host side of the pair.
const server = createSocket('udp4');
const heard: string[] = [];
server.on('message', (m) => heard.push(m.toString()));
server.bind(PORT, veth.hostIp);
await once(server, 'listening');

async function round(label: string, prefix: string): Promise<number> {
  heard.length = 0;
  veth.sendUdpToHost(PORT, 3, prefix);
  await sleep(200);
  console.log(`${label}: the server heard ${heard.length} of 3 datagrams ${JSON.stringify(heard)}`);
  return heard.length;
}

await round('no program', 'open-');
{
  using filter = Program.load(
    xdp().build(portFilter({ byteOrder: HOST_BYTE_ORDER, ports: [PORT], protocols: ['udp'] })),
  );
  using _link = attachXdp(filter, veth.host);
  if ((await round('port filter attached', 'blocked-')) !== 0) process.exitCode = 1;
}
await round('port filter detached', 'again-');

// Per-protocol counters: slot p counts IP protocol p, slot 256 everything else.
using counts = ArrayMap.create({ value: u64, maxEntries: 257 });
{
  using counter = Program.load(xdp().build(protocolCounters({ byteOrder: HOST_BYTE_ORDER, map: counts })));
  using _link = attachXdp(counter, veth.host);
  await round('counters attached', 'counted-');
}
console.log(
  `counted: UDP ${counts.get(17)}, TCP ${counts.get(6)}, ICMP ${counts.get(1)}, non-IP ${counts.get(256)}`,
);
server.close();
if (counts.get(17) !== 3n) process.exitCode = 1;
