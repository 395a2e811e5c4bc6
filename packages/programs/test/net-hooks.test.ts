import { createSocket } from 'node:dgram';
import { statSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import {
  BpfAttachType,
  BpfMapType,
  BpfProgType,
  close,
  mapCreate,
  mapDeleteElem,
  mapUpdateElem,
} from '@ts-ebpf/syscall';
import { describeKernel, socketFd, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  attachNetfilter,
  attachNetns,
  attachSocketFilter,
  attachSockmap,
  inNetns,
  NfInetHook,
  NfVerdict,
  netnsPath,
  Program,
  queryNetns,
} from '../src/index.js';
import { Counter, eventually } from './helpers.js';

const veth = new VethPair('n', 42);
const SK_PASS = 1;

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

describeKernel('network hooks', () => {
  beforeAll(() => {
    veth.create(4);
  });
  afterAll(() => veth.destroy());

  it('sk_lookup on a network namespace runs for each UDP lookup there', async () => {
    using c = new Counter();
    using p = Program.load({
      type: BpfProgType.SK_LOOKUP,
      expectedAttachType: BpfAttachType.SK_LOOKUP,
      instructions: c.code(SK_PASS),
    });
    {
      using _link = attachNetns(p, netnsPath(veth.ns));
      expect(_link.info()).toMatchObject({
        type: 'netns',
        attachType: 'SK_LOOKUP',
        netnsIno: Number(statSync(netnsPath(veth.ns)).ino),
      });
      expect(queryNetns(netnsPath(veth.ns), BpfAttachType.SK_LOOKUP).progIds).toEqual([p.info().id]);
      veth.sendToPeer(3);
      // The peer receives in softirq context, which a loaded machine runs later (ksoftirqd).
      await eventually(() => c.value >= 3n);
    }
    const after = c.value;
    veth.sendToPeer(2);
    expect(c.value).toBe(after);
  });

  it('flow_dissector on a network namespace: link, query, and it runs when packets are hashed', async () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.FLOW_DISSECTOR, instructions: c.code(0) });
    {
      using _link = attachNetns(p, netnsPath(veth.ns));
      expect(queryNetns(netnsPath(veth.ns), BpfAttachType.FLOW_DISSECTOR).progIds).toEqual([p.info().id]);
      // Unconnected sends out of a multi-queue veth: picking the tx queue hashes (dissects) each packet.
      veth.sendToHostUnconnected(3);
      await eventually(() => c.value >= 3n);
    }
    expect(queryNetns(netnsPath(veth.ns), BpfAttachType.FLOW_DISSECTOR).progIds).toEqual([]);
  });

  it('netfilter link in another namespace (through setns) counts local output', () => {
    using c = new Counter();
    using p = Program.load({
      type: BpfProgType.NETFILTER,
      expectedAttachType: BpfAttachType.NETFILTER,
      instructions: c.code(NfVerdict.ACCEPT),
    });
    const link = inNetns(netnsPath(veth.ns), () =>
      attachNetfilter(p, { hook: NfInetHook.LOCAL_OUT, priority: -100 }),
    );
    try {
      expect(link.info()).toMatchObject({
        type: 'netfilter',
        protocol: 'IPV4',
        hook: 'LOCAL_OUT',
        priority: -100,
      });
      veth.sendToHost(3);
      expect(c.value).toBeGreaterThanOrEqual(3n);
    } finally {
      link.close();
    }
    const after = c.value;
    veth.sendToHost(2);
    expect(c.value).toBe(after);
  });

  it('socket filter with SO_ATTACH_BPF counts datagrams until detached', async () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.SOCKET_FILTER, instructions: c.code(0x7fffffff) });
    const rx = createSocket('udp4');
    const tx = createSocket('udp4');
    try {
      await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
      const port = rx.address().port;
      let received = 0;
      rx.on('message', () => received++);
      const send = async (n: number) => {
        for (let i = 0; i < n; i++)
          await new Promise<void>((r) => tx.send('x', port, '127.0.0.1', () => r()));
      };
      const link = attachSocketFilter(p, socketFd(rx));
      await send(3);
      await eventually(() => received >= 3);
      expect(c.value).toBe(3n);
      link.close();
      await send(2);
      await eventually(() => received >= 5);
      expect(c.value).toBe(3n);
      // attached to a socket the caller closes first: the link still closes cleanly
      const other = createSocket('udp4');
      await new Promise<void>((r) => other.bind(0, '127.0.0.1', () => r()));
      const late = attachSocketFilter(p, socketFd(other));
      other.close();
      late.close();
    } finally {
      rx.close();
      tx.close();
    }
  });

  for (const via of ['link', 'attach'] as const) {
    it(`sk_msg and sk_skb verdicts on a sockmap (${via}) run for TCP traffic`, async () => {
      using msgC = new Counter();
      using skbC = new Counter();
      using msg = Program.load({ type: BpfProgType.SK_MSG, instructions: msgC.code(SK_PASS) });
      using skb = Program.load({ type: BpfProgType.SK_SKB, instructions: skbC.code(SK_PASS) });
      const sockmap = mapCreate({ mapType: BpfMapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 2 });
      let server: Server | undefined;
      let client: TcpSocket | undefined;
      let accepted: TcpSocket | undefined;
      try {
        using lmsg = attachSockmap(msg, sockmap, { via });
        using _lskb = attachSockmap(skb, sockmap, { via });
        expect(lmsg.isBpfLink).toBe(via === 'link');
        if (via === 'link')
          expect(lmsg.info()).toMatchObject({ type: 'sockmap', attachType: 'SK_MSG_VERDICT' });
        const got: Buffer[] = [];
        const acceptedP = new Promise<TcpSocket>((resolve) => {
          server = createServer((s) => resolve(s));
        });
        await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
        const port = (server!.address() as { port: number }).port;
        client = createConnection(port, '127.0.0.1');
        await new Promise<void>((r) => client!.once('connect', () => r()));
        accepted = await acceptedP;
        accepted.on('data', (d) => got.push(d));
        mapUpdateElem(sockmap, u32(0), u32(socketFd(client)));
        mapUpdateElem(sockmap, u32(1), u32(socketFd(accepted)));
        client.write('hello');
        await eventually(() => Buffer.concat(got).toString() === 'hello');
        expect(msgC.value).toBeGreaterThanOrEqual(1n);
        expect(skbC.value).toBeGreaterThanOrEqual(1n);
        mapDeleteElem(sockmap, u32(0));
        mapDeleteElem(sockmap, u32(1));
      } finally {
        client?.destroy();
        accepted?.destroy();
        await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
        close(sockmap);
      }
    });
  }
});
