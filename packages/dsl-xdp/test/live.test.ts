// Templates live on veth pairs in test network namespaces: real traffic, real drops, real redirects.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exit, mov, PluginError, R0 } from '@ts-ebpf/dsl';
import { ArrayMap, BpfMap, DevMapHash, i32, struct, u32, u64, XskMap } from '@ts-ebpf/maps';
import { attachXdp, ifindex, Program } from '@ts-ebpf/programs';
import { describeKernel, mac, udpPayloads, VethPair } from '@ts-ebpf/test-utils';
import { BpfMapType, HOST_BYTE_ORDER, XdpAction } from '@ts-ebpf/uapi';
import { XskQueueBusyError, XskSocket } from '@ts-ebpf/xsk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  afXdpRedirect,
  dropByProtocol,
  l2Forward,
  macSwapTx,
  protocolCounters,
  redirectToCpu,
  xdp,
} from '../src/index.js';

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

/** A program of `section` that returns `action`, whatever the frame. */
function returning(section: 'xdp/devmap' | 'xdp/cpumap', action: number): Program {
  return Program.load(xdp(section).build([mov(R0, action), exit()]));
}

/**
 * A devmap_hash or a cpumap whose entry `key` holds `value` (the egress ifindex, the queue size)
 * and runs `program`: `struct bpf_devmap_val` and `struct bpf_cpumap_val` are that u32, then
 * the program's fd.
 */
function entryMap(type: number, key: number, value: number, program: Program) {
  const map = BpfMap.create({ type, key: u32, value: struct({ value: u32, progFd: i32 }), maxEntries: 4 });
  try {
    map.set(key, { value, progFd: program.fd });
  } catch (e) {
    map.close();
    throw e;
  }
  return map;
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

  it('a devmap entry program passes the frames it returns XDP_PASS for and drops those it returns XDP_TX for (refused by ret)', async () => {
    expect(() => xdp('xdp/devmap').ret('XDP_TX' as never)).toThrow(PluginError);
    /** The UDP payloads arriving at B's peer when A's frames go through a devmap entry running `entry`. */
    const throughEntry = async (entry: number, tag: string): Promise<string[]> => {
      using entryProgram = returning('xdp/devmap', entry);
      using devs = entryMap(BpfMapType.DEVMAP_HASH, ifindex(a.host), ifindex(b.host), entryProgram);
      using p = Program.load(xdp().build(l2Forward({ map: devs })));
      using _link = attachXdp(p, a.host, { mode: 'skb' });
      const frames = await captureOnPeer(b, () => sendUdp(a, a.hostIp, 9, tag, 3));
      return udpPayloads(frames, 9).map((x) => new TextDecoder().decode(x));
    };
    expect(await throughEntry(XdpAction.PASS, 'pass')).toEqual(['pass0', 'pass1', 'pass2']);
    expect(await throughEntry(XdpAction.TX, 'tx')).toEqual([]);
  });

  it('a cpumap entry program hands the frames it returns XDP_PASS for to the stack and drops those it returns XDP_TX for (refused by ret)', async () => {
    expect(() => xdp('xdp/cpumap').ret('XDP_TX' as never)).toThrow(PluginError);
    const sink = createSocket('udp4');
    const got: string[] = [];
    sink.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => sink.bind(7332, a.hostIp, r));
    try {
      /** The datagrams the stack delivers when A's frames go through a cpumap entry running `entry`. */
      const throughEntry = async (entry: number, tag: string): Promise<string[]> => {
        using entryProgram = returning('xdp/cpumap', entry);
        using cpus = entryMap(BpfMapType.CPUMAP, 0, 192, entryProgram);
        using p = Program.load(xdp().build([...redirectToCpu(cpus, 0), exit()]));
        using _link = attachXdp(p, a.host, { mode: 'skb' });
        got.length = 0;
        sendUdp(a, a.hostIp, 7332, tag, 3);
        await sleep(300);
        return [...got];
      };
      expect(await throughEntry(XdpAction.PASS, 'pass')).toEqual(['pass0', 'pass1', 'pass2']);
      expect(await throughEntry(XdpAction.TX, 'tx')).toEqual([]);
    } finally {
      sink.close();
    }
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
