import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { bpf } from '@ts-ebpf/dsl';
import { XskMap } from '@ts-ebpf/maps';
import { attachXdp, BpfProgType, Program } from '@ts-ebpf/programs';
import { ObjectClosedError } from '@ts-ebpf/syscall';
import {
  frame as buildFrame,
  describeKernel,
  leakedFds,
  mac,
  openFds,
  udpPayloads,
  VethPair,
} from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XskQueueBusyError, XskSocket, type XskSocketOptions } from '../src/index.js';

const XDP_PASS = 2;
const PORT = 7331;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A small UMEM and rings: 16 receive frames, 16 transmit frames. */
const SMALL = { frameCount: 32, fillSize: 16, rxSize: 16, txSize: 16, completionSize: 16 } as const;

/** An XDP program that redirects each frame into the xskmap slot of its RX queue, else passes it. */
function redirectToXsk(map: { fd: number }): Program {
  return Program.load({
    type: BpfProgType.XDP,
    instructions: bpf`
      r2 = *(u32 *)(r1 + 16) // ctx->rx_queue_index
      r1 = ${map}
      r3 = ${XDP_PASS}
      call bpf_redirect_map
      exit`,
  });
}

/**
 * Opens a socket on the host side, waiting while the kernel still finishes releasing the
 * previous test's socket on the same queue (it does that in a work item after close: EBUSY).
 */
async function openXsk(o: Omit<XskSocketOptions, 'interface'> & { interface: string }): Promise<XskSocket> {
  for (let i = 0; ; i++) {
    try {
      return XskSocket.open(o);
    } catch (e) {
      if (!(e instanceof XskQueueBusyError) || i >= 100) throw e;
      await sleep(20);
    }
  }
}

/** Receives until `count` UDP payloads to PORT arrived or ~3 s passed. */
async function receivePayloads(xsk: XskSocket, count: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < 150 && got.length < count; i++) {
    for (const p of udpPayloads(xsk.receive(), PORT)) got.push(new TextDecoder().decode(p));
    if (got.length < count) await sleep(20);
  }
  return got;
}

describeKernel('XskSocket on a veth pair', () => {
  const pair = new VethPair('xk', 163);
  let peerMac: Uint8Array;
  let hostMac: Uint8Array;
  beforeAll(() => {
    pair.create();
    peerMac = mac(pair.inNs(`cat /sys/class/net/${pair.peer}/address`));
    hostMac = mac(readFileSync(`/sys/class/net/${pair.host}/address`, 'utf8'));
    // The programs below redirect every frame, ARP replies included: resolve the host statically.
    const hostMacText = [...hostMac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    pair.inNs(`ip neigh replace ${pair.hostIp} lladdr ${hostMacText} dev ${pair.peer} nud permanent`);
  });
  afterAll(() => pair.destroy());

  for (const mode of ['skb', 'drv'] as const) {
    it(`frames redirected by an XDP program (${mode} mode) arrive with their bytes`, async () => {
      const before = openFds();
      {
        using xsks = XskMap.create({ maxEntries: 4 });
        using xsk = await openXsk({
          interface: pair.host,
          frameCount: 64,
          fillSize: 32,
          rxSize: 32,
          txSize: 32,
          completionSize: 32,
        });
        expect(xsk.zeroCopy).toBe(false); // veth has no zero-copy AF_XDP
        using prog = redirectToXsk(xsks);
        using _link = attachXdp(prog, pair.host, { mode });
        xsks.set(0, xsk.fd);
        // Two bursts of 24 (each fits the 32 receive frames; together more, so frames are recycled).
        const send = (tag: string, n: number) =>
          pair.inNs(
            `${process.execPath} -e "const s=require('dgram').createSocket('udp4');let i=0;const f=()=>i<${n}?s.send('${tag}'+(i++),${PORT},'${pair.hostIp}',f):s.close();f();"`,
          );
        for (const tag of ['a', 'b']) {
          send(tag, 24);
          expect(await receivePayloads(xsk, 24)).toEqual(Array.from({ length: 24 }, (_, i) => `${tag}${i}`));
        }
        // the frame as a whole: addresses as sent
        const [frame] = await (async () => {
          send('c', 1);
          for (let i = 0; i < 100; i++) {
            const frames = xsk.receive().filter((f) => udpPayloads([f], PORT).length > 0);
            if (frames.length > 0) return frames;
            await sleep(20);
          }
          return [];
        })();
        expect(frame).toBeDefined();
        expect(frame!.subarray(0, 6)).toEqual(hostMac);
        expect(frame!.subarray(6, 12)).toEqual(peerMac);
        expect([...frame!.subarray(26, 34)].join('.')).toBe(`${pair.peerIp}.${pair.hostIp}`);
        expect(xsk.statistics().rxInvalidDescs).toBe(0n);
      }
      expect(leakedFds(before)).toEqual([]);
    });
  }

  it('receiveEach hands out views valid during the call; batches() yields as frames arrive', async () => {
    using xsks = XskMap.create({ maxEntries: 4 });
    using xsk = await openXsk({ interface: pair.host, ...SMALL });
    using prog = redirectToXsk(xsks);
    using _link = attachXdp(prog, pair.host, { mode: 'skb' });
    xsks.set(0, xsk.fd);
    const controller = new AbortController();
    const batches = (async () => {
      const payloads: string[] = [];
      for await (const batch of xsk.batches({ signal: controller.signal })) {
        for (const p of udpPayloads(batch, PORT)) payloads.push(new TextDecoder().decode(p));
        if (payloads.length >= 3) controller.abort();
      }
      return payloads;
    })();
    pair.inNs(
      `${process.execPath} -e "const s=require('dgram').createSocket('udp4');let i=0;const f=()=>i<3?s.send('b'+(i++),${PORT},'${pair.hostIp}',f):s.close();f();"`,
    );
    expect(await batches).toEqual(['b0', 'b1', 'b2']);
    pair.inNs(
      `${process.execPath} -e "const s=require('dgram').createSocket('udp4');s.send('v',${PORT},'${pair.hostIp}',()=>s.close());"`,
    );
    const seen: string[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      xsk.receiveEach((view) => {
        for (const p of udpPayloads([view], PORT)) seen.push(new TextDecoder().decode(p));
      });
      if (seen.length === 0) await sleep(20);
    }
    expect(seen).toEqual(['v']);
  });

  it('transmit sends a crafted frame out of the interface to a UDP socket on the peer', async () => {
    using xsk = await openXsk({ interface: pair.host, ...SMALL });
    const listener = spawn(
      'ip',
      [
        'netns',
        'exec',
        pair.ns,
        process.execPath,
        '-e',
        `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{console.log('got '+m);process.exit(0)});s.bind(${PORT},()=>console.log('ready'));setTimeout(()=>process.exit(3),5000);`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    listener.stdout.on('data', (d) => {
      out += d;
    });
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await sleep(20);
    expect(out).toContain('ready');
    const payload = new TextEncoder().encode('sent by XskSocket');
    const frame = buildFrame({
      dstMac: peerMac,
      srcMac: hostMac,
      ip: { v4: { src: pair.hostIp, dst: pair.peerIp } },
      l4: { udp: { sport: 4242, dport: PORT }, payload },
    });
    expect(xsk.transmit(frame)).toBe(true);
    const [code] = await once(listener, 'exit');
    expect(out).toContain('got sent by XskSocket');
    expect(code).toBe(0);
    for (let i = 0; i < 50 && xsk.inFlight > 0; i++) {
      xsk.completions();
      await sleep(10);
    }
    expect(xsk.inFlight).toBe(0);
  });

  it('refuses bad options and frames naming them, and closes idempotently', async () => {
    expect(() => XskSocket.open({ interface: pair.host, frameSize: 3000 })).toThrow(/frameSize/);
    expect(() => XskSocket.open({ interface: pair.host, fillSize: 64, frameCount: 32 })).toThrow(
      /frameCount/,
    );
    expect(() => XskSocket.open({ interface: pair.host, rxSize: 100 })).toThrow(/rxSize/);
    expect(() => XskSocket.open({ interface: pair.host, mode: 'fast' as 'copy' })).toThrow(/mode/);
    const xsk = await openXsk({
      interface: pair.host,
      frameCount: 8,
      fillSize: 4,
      rxSize: 4,
      txSize: 4,
      completionSize: 4,
    });
    expect(() => xsk.transmit(new Uint8Array(0))).toThrow(/frame/);
    expect(() => xsk.transmit(new Uint8Array(4097))).toThrow(/frame.*4097/);
    xsk.close();
    xsk.close();
    expect(xsk.closed).toBe(true);
    expect(() => xsk.receive()).toThrow(ObjectClosedError);
    expect(() => xsk.fd).toThrow(ObjectClosedError);
  });
});
