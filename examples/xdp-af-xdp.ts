/**
 * AF_XDP: the afXdpRedirect template on a veth interface redirects UDP datagrams for port 7000
 * into the AF_XDP socket of their receive queue (an xskmap); the socket reads them in user space.
 * Sets up and removes its own network namespace and veth pair; needs root.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/xdp-af-xdp.ts
 */
import { afXdpRedirect, xdp } from '@ts-ebpf/dsl-xdp';
import { XskMap } from '@ts-ebpf/maps';
import { attachXdp, Program } from '@ts-ebpf/programs';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { XskSocket } from '@ts-ebpf/xsk';
import { ExampleVeth } from './lib/veth.js';

const PORT = 7000;
using veth = new ExampleVeth('xsk', 1);
using xsks = XskMap.create({ maxEntries: 1 });
using xsk = XskSocket.open({ interface: veth.host, queueId: 0, frameCount: 256, fillSize: 128 });
xsks.set(0, xsk.fd);

// UDP to PORT (IPv4 or IPv6, VLAN-tagged or not) goes to the socket of its receive queue;
// everything else (ARP …) to the stack, as does UDP to PORT while the queue has no socket.
using prog = Program.load(
  xdp().build(afXdpRedirect({ byteOrder: HOST_BYTE_ORDER, map: xsks, udpPort: PORT })),
);
using _link = attachXdp(prog, veth.host, { mode: 'skb' });

veth.sendUdpToHost(PORT, 5, 'hello-');
const received: string[] = [];
for await (const frames of xsk.batches({ signal: AbortSignal.timeout(5000) })) {
  for (const f of frames) {
    const payload = new TextDecoder().decode(f.subarray(42));
    received.push(payload);
    console.log(`frame of ${f.byteLength} bytes from ${[...f.subarray(26, 30)].join('.')}: ${payload}`);
  }
  if (received.length >= 5) break;
}
const stats = xsk.statistics();
console.log(
  `received ${received.length} frames; kernel drops: ring full ${stats.rxRingFull}, invalid ${stats.rxInvalidDescs}`,
);
if (received.length !== 5) {
  console.error('expected 5 frames');
  process.exitCode = 1;
}
