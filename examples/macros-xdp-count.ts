/**
 * Counts the packets reaching an interface with @ts-ebpf/macros: one map definition, one XDP
 * program built by the dsl-xdp plugin, and a script that creates, loads, attaches and — at the
 * end of the block — detaches and closes it all.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/macros-xdp-count.ts
 */
import { bpf } from '@ts-ebpf/dsl';
import { xdpPlugin } from '@ts-ebpf/dsl-xdp';
import { defineMap, defineProgram, script } from '@ts-ebpf/macros';
import { MapType, u32, u64 } from '@ts-ebpf/maps';
import { ExampleVeth } from './lib/veth.js';

using veth = new ExampleVeth('mc', 41);

const counts = defineMap({ type: MapType.ARRAY, key: u32, value: u64, maxEntries: 1 });
const countPackets = defineProgram({
  maps: { counts },
  plugin: xdpPlugin,
  section: 'xdp',
  build: ({ counts }) => bpf`
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = map[fd:${counts.fd}]
    call bpf_map_lookup_elem
    if r0 == 0 goto +2
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = 2 // XDP_PASS
    exit`,
  attach: { kind: 'xdp', interface: veth.host },
});

{
  using s = script({ programs: { countPackets } });
  veth.sendUdpToHost(9, 5);
  console.log(`${s.maps.counts.get(0)} packets reached ${veth.host} (5 datagrams sent, ARP may add more)`);
}
