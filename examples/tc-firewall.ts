/**
 * tc programs from the @ts-ebpf/dsl-tc templates on a veth interface: packet and byte
 * counters on tcx ingress and egress, then a port filter on the classic clsact hook that
 * drops UDP to port 5301 (a UDP server on the host stops hearing its clients while it is
 * attached). Sets up and removes its own network namespace and veth pair; needs root.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tc-firewall.ts
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { TC_COUNTERS_LAYOUT, tc, tcPlugin } from '@ts-ebpf/dsl-tc';
import { ArrayMap, bytes } from '@ts-ebpf/maps';
import { attachTcClassic, attachTcx, Program } from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { ExampleVeth } from './lib/veth.js';

const PORT = 5301;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
using veth = new ExampleVeth('tc', 12);

const server = createSocket('udp4');
let heard = 0;
const heardSoFar = (): number => heard;
server.on('message', () => {
  heard++;
});
server.bind(PORT, veth.hostIp);
await once(server, 'listening');

try {
  // 1. Counters: one array map entry of four u64s, one program per direction.
  using counters = ArrayMap.create({ value: bytes(TC_COUNTERS_LAYOUT.size), maxEntries: 1 });
  using ingress = Program.load(
    tc('tcx/ingress').build(tcPlugin.templates.counters({ map: counters, direction: 'ingress' })),
  );
  using egress = Program.load(
    tc('tcx/egress').build(tcPlugin.templates.counters({ map: counters, direction: 'egress' })),
  );
  {
    using _in = attachTcx(ingress, veth.host, 'ingress');
    using _out = attachTcx(egress, veth.host, 'egress');
    veth.sendUdpToHost(PORT, 4);
    await sleep(200);
  }
  const v = counters.get(0)!;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const u64 = (o: number) => view.getBigUint64(o, HOST_LITTLE_ENDIAN);
  console.log(
    `counters: ingress ${u64(TC_COUNTERS_LAYOUT.ingressPackets)} packets / ${u64(TC_COUNTERS_LAYOUT.ingressBytes)} bytes, ` +
      `egress ${u64(TC_COUNTERS_LAYOUT.egressPackets)} packets / ${u64(TC_COUNTERS_LAYOUT.egressBytes)} bytes`,
  );
  if (u64(TC_COUNTERS_LAYOUT.ingressPackets) < 4n) throw new Error('the ingress counter missed datagrams');

  // 2. Port filter on clsact ingress.
  heard = 0;
  using filter = Program.load(
    tc('classifier').build(tcPlugin.templates.portFilter({ ports: [PORT], byteOrder: HOST_BYTE_ORDER })),
  );
  {
    using _link = attachTcClassic(filter, veth.host, 'ingress');
    veth.sendUdpToHost(PORT, 3);
    await sleep(200);
    console.log(`with the port filter: the server heard ${heardSoFar()} of 3 datagrams`);
    if (heardSoFar() !== 0) throw new Error('the port filter let datagrams through');
  }
  veth.sendUdpToHost(PORT, 3);
  await sleep(200);
  console.log(`filter removed: the server heard ${heardSoFar()} of 3 datagrams`);
  if (heardSoFar() !== 3) throw new Error('datagrams lost without the filter');
} finally {
  server.close();
}
