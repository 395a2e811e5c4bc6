// Templates live on veth pairs in test network namespaces: real traffic, real drops, real redirects.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArrayMap, DevMapHash, u32, u64, XskMap } from '@ts-ebpf/maps';
import { attachXdp, ifindex, Program } from '@ts-ebpf/programs';
import { describeKernel, mac, udpPayloads, VethPair } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { XskQueueBusyError, XskSocket } from '@ts-ebpf/xsk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { afXdpRedirect, dropByProtocol, l2Forward, macSwapTx, protocolCounters, xdp } from '../src/index.js';

const byteOrder = HOST_BYTE_ORDER;
const NET_TOOL = fileURLToPath(new URL('./support-live/net-tool.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const a = new VethPair('xla', 165);
const b = new VethPair('xlb', 166);

function macText(bytes: Uint8Array): string {
  return [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The peer's neighbour entry for the host side, made static: templates below redirect or bounce ARP. */
function staticNeighbour(p: VethPair): void {
  const hostMac = readFileSync(`/sys/class/net/${p.host}/address`, 'utf8').trim();
  p.inNs(`ip neigh replace ${p.hostIp} lladdr ${hostMac} dev ${p.peer} nud permanent`);
}

/** ICMP echo replies to `count` requests from the peer to the host side. */
function ping(p: VethPair, count: number): number {
  const out = p.runScript(NET_TOOL, 'ping', p.hostIp, String(count), '1500');
  return Number(/replies (\d+)/.exec(out)?.[1] ?? Number.NaN);
}

/** Sends UDP datagrams `<tag><i>` from the peer of `p` to `ip:port`. */
function sendUdp(p: VethPair, ip: string, port: number, tag: string, count: number): void {
  p.inNs(
    `${process.execPath} -e "const s=require('dgram').createSocket('udp4');let i=0;const f=()=>i<${count}?s.send('${tag}'+(i++),${port},'${ip}',f):s.close();f();"`,
  );
}

/** Frames captured on the peer of `p` while `act` runs, as bytes. */
async function captureOnPeer(p: VethPair, act: () => void | Promise<void>): Promise<Uint8Array[]> {
  const capture = p.startScript(NET_TOOL, 'capture', p.peer, '1500');
  await capture.ready;
  await act();
  const out = await capture.done;
  return out
    .split('\n')
    .filter((l) => /^[0-9a-f]+$/.test(l))
    .map((l) => Uint8Array.from(Buffer.from(l, 'hex')));
}

describeKernel('XDP templates live on veth pairs', () => {
  beforeAll(() => {
    a.create();
    b.create();
    staticNeighbour(a);
    staticNeighbour(b);
    // frames redirected into B arrive with A's addresses: accept them
    b.inNs('sysctl -qw net.ipv4.conf.all.rp_filter=0');
  });
  afterAll(() => {
    a.destroy();
    b.destroy();
  });

  it('protocolCounters counts pings and datagrams per protocol', () => {
    using counts = ArrayMap.create({ value: u64, maxEntries: 257 });
    using p = Program.load(xdp().build(protocolCounters({ byteOrder, map: counts })));
    using _link = attachXdp(p, a.host, { mode: 'skb' });
    expect(ping(a, 3)).toBe(3);
    sendUdp(a, a.hostIp, 9, 'c', 4);
    expect(counts.get(1)).toBe(3n); // ICMP echo requests (replies leave: not counted)
    expect(counts.get(17)).toBe(4n);
    expect(counts.get(6)).toBe(0n);
  });

  it('dropByProtocol blocks pings while attached; they work again after detach', () => {
    expect(ping(a, 2)).toBe(2);
    {
      using p = Program.load(xdp().build(dropByProtocol({ byteOrder, protocols: [1] })));
      using _link = attachXdp(p, a.host, { mode: 'drv' });
      expect(ping(a, 3)).toBe(0);
    }
    expect(ping(a, 3)).toBe(3);
  });

  it('l2Forward delivers frames from one veth pair to another through a devmap', async () => {
    using devs = DevMapHash.create({ key: u32, maxEntries: 4 });
    devs.set(ifindex(a.host), ifindex(b.host));
    using p = Program.load(xdp().build(l2Forward({ map: devs })));
    using _link = attachXdp(p, a.host, { mode: 'skb' });
    const frames = await captureOnPeer(b, () => sendUdp(a, a.hostIp, 9, 'fwd', 3));
    const payloads = udpPayloads(frames, 9).map((x) => new TextDecoder().decode(x));
    expect(payloads).toEqual(['fwd0', 'fwd1', 'fwd2']);
    // unchanged: the frames still carry A's addresses
    const first = frames.find((f) => udpPayloads([f], 9).length > 0)!;
    expect([...first.subarray(26, 30)].join('.')).toBe(a.peerIp);
  });

  it('afXdpRedirect hands UDP to one port to an AF_XDP socket, the rest to the stack', async () => {
    using xsks = XskMap.create({ maxEntries: 4 });
    let xsk: XskSocket | undefined;
    for (let i = 0; !xsk; i++) {
      try {
        xsk = XskSocket.open({
          interface: a.host,
          frameCount: 64,
          fillSize: 32,
          rxSize: 32,
          txSize: 32,
          completionSize: 32,
        });
      } catch (e) {
        if (!(e instanceof XskQueueBusyError) || i > 100) throw e;
        await sleep(20);
      }
    }
    using socket = xsk;
    xsks.set(0, socket.fd);
    using p = Program.load(xdp().build(afXdpRedirect({ byteOrder, map: xsks, udpPort: 7331 })));
    using _link = attachXdp(p, a.host, { mode: 'skb' });
    sendUdp(a, a.hostIp, 7331, 'xsk', 5);
    const got: string[] = [];
    for (let i = 0; i < 100 && got.length < 5; i++) {
      for (const x of udpPayloads(socket.receive(), 7331)) got.push(new TextDecoder().decode(x));
      if (got.length < 5) await sleep(20);
    }
    expect(got).toEqual(['xsk0', 'xsk1', 'xsk2', 'xsk3', 'xsk4']);
    // pings are not UDP to 7331: the stack still answers them
    expect(ping(a, 2)).toBe(2);
  });

  it('macSwapTx bounces frames back to the sender (XDP_TX), seen by a capture at the sender', async () => {
    using p = Program.load(xdp().build(macSwapTx({ byteOrder })));
    // generic mode: native XDP_TX on veth needs XDP or GRO on the peer as well
    using _link = attachXdp(p, a.host, { mode: 'skb' });
    const hostMac = mac(readFileSync(`/sys/class/net/${a.host}/address`, 'utf8'));
    const peerMac = mac(a.inNs(`cat /sys/class/net/${a.peer}/address`));
    const frames = await captureOnPeer(a, () => sendUdp(a, a.hostIp, 9, 'bounce', 2));
    const bounced = frames.filter((f) => macText(f.subarray(6, 12)) === macText(hostMac));
    expect(udpPayloads(bounced, 9).map((x) => new TextDecoder().decode(x))).toEqual(['bounce0', 'bounce1']);
    // the bounced datagrams are addressed back to the sender's MAC
    for (const f of bounced.filter((x) => udpPayloads([x], 9).length > 0)) {
      expect(macText(f.subarray(0, 6))).toBe(macText(peerMac));
    }
  });
});
