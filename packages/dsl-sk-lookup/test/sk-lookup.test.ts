import type { Server } from 'node:net';
import { attachNetns, Program } from '@ts-ebpf/programs';
import { BpfMapType, close, mapCreate, mapDeleteElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dispatchByLocalAddress, skLookup, steerPortRange } from '../src/index.js';
import { drain, eventually, TestNetns } from './netns.js';

const ns = new TestNetns('skls');
const LISTEN = 7000;
const FROM = 8000;
const TO = 8009;

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, HOST_LITTLE_ENDIAN);
  return b;
}

function sockmap(type: number = BpfMapType.SOCKMAP, keySize = 4): number {
  return mapCreate({ mapType: type, keySize, valueSize: 4, maxEntries: 4 });
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((r) => server.close(() => r()));
}

describeKernel('sk_lookup programs in a test network namespace', () => {
  beforeAll(() => {
    ns.create();
  });
  afterAll(() => ns.destroy());

  it('steerPortRange: TCP connections to any port of the range land on the one listening socket', async () => {
    const map = sockmap();
    const got: { port: number | undefined; text: string }[] = [];
    const { server, fd } = await ns.listen('127.0.0.1', LISTEN, (conn, text) =>
      got.push({ port: conn.localPort, text }),
    );
    try {
      expect(ns.connectAndSend('127.0.0.1', FROM + 3, 'before')).toBe('ECONNREFUSED');
      using p = Program.load(
        skLookup().build(steerPortRange({ fd: map }, { from: FROM, to: TO, protocol: 'tcp' })),
      );
      mapUpdateElem(map, u32(0), u32(fd));
      {
        using _link = attachNetns(p, ns.path);
        for (const port of [FROM, FROM + 3, TO])
          expect(ns.connectAndSend('127.0.0.1', port, `to ${port}`)).toBe('ok');
        // Outside the range the usual lookup runs: nothing listens there.
        expect(ns.connectAndSend('127.0.0.1', TO + 1, 'outside')).toBe('ECONNREFUSED');
        await eventually(() => got.length === 3);
        expect(got.sort((a, b) => a.text.localeCompare(b.text))).toEqual([
          { port: FROM, text: `to ${FROM}` },
          { port: FROM + 3, text: `to ${FROM + 3}` },
          { port: TO, text: `to ${TO}` },
        ]);
      }
      expect(ns.connectAndSend('127.0.0.1', FROM + 3, 'after')).toBe('ECONNREFUSED');
    } finally {
      await closeServer(server);
      close(map);
    }
  });

  it('steerPortRange with onMissing SK_DROP: lookups in the range are refused while the map is empty', async () => {
    const map = sockmap();
    const { server, fd } = await ns.listen('127.0.0.1', FROM + 5, () => {});
    try {
      using p = Program.load(
        skLookup().build(steerPortRange({ fd: map }, { from: FROM, to: TO, onMissing: 'SK_DROP' })),
      );
      using _link = attachNetns(p, ns.path);
      // A socket listens on FROM + 5, but the program drops the lookup before the usual one.
      expect(ns.connectAndSend('127.0.0.1', FROM + 5, 'x')).toBe('ECONNREFUSED');
      mapUpdateElem(map, u32(0), u32(fd));
      expect(ns.connectAndSend('127.0.0.1', FROM + 1, 'y')).toBe('ok');
      mapDeleteElem(map, u32(0));
      expect(ns.connectAndSend('127.0.0.1', FROM + 1, 'z')).toBe('ECONNREFUSED');
    } finally {
      await closeServer(server);
      close(map);
    }
  });

  it('steerPortRange for UDP: datagrams to any port of the range arrive on the one socket', () => {
    const map = sockmap();
    const rx = ns.udp('127.0.0.1', LISTEN);
    try {
      using p = Program.load(
        skLookup().build(steerPortRange({ fd: map }, { from: FROM, to: TO, protocol: 'udp' })),
      );
      mapUpdateElem(map, u32(0), u32(rx));
      using _link = attachNetns(p, ns.path);
      for (const port of [FROM, FROM + 7, TO, TO + 1]) ns.sendUdp('127.0.0.1', port, `u${port}`);
      expect(drain(rx).sort()).toEqual([`u${FROM}`, `u${FROM + 7}`, `u${TO}`]);
    } finally {
      close(rx);
      close(map);
    }
  });

  it('dispatchByLocalAddress: each local address is served by its own socket, on any port', () => {
    const map = sockmap(BpfMapType.SOCKHASH);
    const a = ns.udp('127.0.0.1', LISTEN);
    const b = ns.udp('127.0.0.2', LISTEN + 1);
    try {
      using p = Program.load(skLookup().build(dispatchByLocalAddress({ fd: map })));
      mapUpdateElem(map, Uint8Array.of(127, 0, 0, 1), u32(a));
      mapUpdateElem(map, Uint8Array.of(127, 0, 0, 2), u32(b));
      using _link = attachNetns(p, ns.path);
      ns.sendUdp('127.0.0.1', 9001, 'one');
      ns.sendUdp('127.0.0.2', 9002, 'two');
      ns.sendUdp('127.0.0.2', LISTEN, 'three');
      expect(drain(a)).toEqual(['one']);
      expect(drain(b)).toEqual(['two', 'three']);
    } finally {
      close(a);
      close(b);
      close(map);
    }
  });
});
