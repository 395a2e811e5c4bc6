/**
 * AF_XDP: an XDP program on a veth interface redirects UDP datagrams for port 7000 into the
 * AF_XDP socket of their receive queue (an xskmap), and the socket reads them in user space.
 * Sets up and removes its own network namespace and veth pair; needs root.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/xdp-af-xdp.ts
 */
import { bpf } from '@ts-ebpf/dsl';
import { XskMap } from '@ts-ebpf/maps';
import { attachXdp, BpfProgType, Program } from '@ts-ebpf/programs';
import { XskSocket } from '@ts-ebpf/xsk';
import { ExampleVeth } from './lib/veth.js';

const PORT = 7000;
using veth = new ExampleVeth('xsk', 1);
using xsks = XskMap.create({ maxEntries: 1 });
using xsk = XskSocket.open({ interface: veth.host, queueId: 0, frameCount: 256, fillSize: 128 });
xsks.set(0, xsk.fd);

// IPv4 UDP to PORT goes to the socket of its queue; everything else (ARP …) to the stack.
using prog = Program.load({
  type: BpfProgType.XDP,
  instructions: bpf`
    r2 = *(u32 *)(r1 + 0)      // data
    r3 = *(u32 *)(r1 + 4)      // data_end
    r4 = r2
    r4 += 38                   // Ethernet + IPv4 (no options) + UDP ports
    if r4 > r3 goto pass
    r4 = *(u16 *)(r2 + 12)
    r4 = be16 r4
    if r4 != 0x0800 goto pass  // EtherType IPv4
    r4 = *(u8 *)(r2 + 23)
    if r4 != 17 goto pass
    r4 = *(u16 *)(r2 + 36)
    r4 = be16 r4
    if r4 != ${PORT} goto pass
    r2 = *(u32 *)(r1 + 16)     // rx_queue_index
    r1 = ${xsks}
    r3 = 2                     // XDP_PASS when the queue has no socket
    call bpf_redirect_map
    exit
  pass:
    r0 = 2
    exit`,
});
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
