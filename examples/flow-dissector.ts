/**
 * A flow dissector from the @ts-ebpf/dsl-flow-dissector template, attached to a network
 * namespace: with RPS on the namespace's veth, every received packet is hashed, so the
 * kernel runs the dissector for it. The program counts its runs in an array map before it
 * dissects. Sets up and removes its own network namespace and veth pair; needs root.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/flow-dissector.ts
 */
import { execFileSync } from 'node:child_process';
import { atomic, ldMapValue, mov, R1, R2 } from '@ts-ebpf/dsl';
import { flowDissector, flowDissectorPlugin } from '@ts-ebpf/dsl-flow-dissector';
import { ArrayMap, u64 } from '@ts-ebpf/maps';
import { attachNetns, netnsPath, Program } from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { ExampleVeth } from './lib/veth.js';

using veth = new ExampleVeth('fd', 13);
// Receive packet steering on the peer: the kernel hashes (dissects) each received packet.
veth.inNs(`echo 1 > /sys/class/net/${veth.peer}/queues/rx-0/rps_cpus`);

using runs = ArrayMap.create({ value: u64, maxEntries: 1 });
using dissector = Program.load(
  flowDissector().build([
    ldMapValue(R1, runs, 0),
    mov(R2, 1),
    atomic('add', 'dw', R1, R2),
    flowDissectorPlugin.templates.dissect({ byteOrder: HOST_BYTE_ORDER }),
  ]),
);
{
  using _link = attachNetns(dissector, netnsPath(veth.ns));
  for (let i = 0; i < 5; i++)
    execFileSync('bash', ['-c', `echo flow${i} > /dev/udp/${veth.peerIp}/${6000 + i}`]);
}
const n = runs.get(0) ?? 0n;
console.log(`the flow dissector ran ${n} times for 5 datagrams sent into the namespace`);
if (n < 5n) throw new Error('the flow dissector did not see the traffic');
