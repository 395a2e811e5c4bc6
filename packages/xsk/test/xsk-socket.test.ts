import { XskMap } from '@ts-ebpf/maps';
import { attachXdp } from '@ts-ebpf/programs';
import { ObjectClosedError } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XskReceiveOnlyError, XskSocket, XskTransmitOnlyError } from '../src/index.js';
import { openXsk, payloadTexts, receivePayloads, redirectToXsk, SMALL, sleep, XskVeth } from './support.js';

describeKernel('XskSocket on a veth pair', () => {
  const pair = new XskVeth('xk', 163);
  beforeAll(() => {
    pair.create();
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
        for (const tag of ['a', 'b']) {
          pair.sendUdp(tag, 24);
          expect(await receivePayloads(xsk, 24)).toEqual(Array.from({ length: 24 }, (_, i) => `${tag}${i}`));
        }
        // the frame as a whole: addresses as sent
        const [frame] = await (async () => {
          pair.sendUdp('c', 1);
          for (let i = 0; i < 100; i++) {
            const frames = xsk.receive().filter((f) => payloadTexts([f]).length > 0);
            if (frames.length > 0) return frames;
            await sleep(20);
          }
          return [];
        })();
        expect(frame).toBeDefined();
        expect(frame!.subarray(0, 6)).toEqual(pair.hostMac);
        expect(frame!.subarray(6, 12)).toEqual(pair.peerMac);
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
        payloads.push(...payloadTexts(batch));
        if (payloads.length >= 3) controller.abort();
      }
      return payloads;
    })();
    pair.sendUdp('b', 3);
    expect(await batches).toEqual(['b0', 'b1', 'b2']);
    pair.sendUdp('v', 1);
    const seen: string[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      xsk.receiveEach((view) => {
        seen.push(...payloadTexts([view]));
      });
      if (seen.length === 0) await sleep(20);
    }
    expect(seen).toEqual(['v0']);
  });

  it('a receive-only socket (txSize: 0) receives into all its frames and refuses to transmit', async () => {
    using xsks = XskMap.create({ maxEntries: 4 });
    // frameCount defaults to fillSize: every frame receives
    using xsk = await openXsk({ interface: pair.host, fillSize: 8, rxSize: 8, completionSize: 8, txSize: 0 });
    using prog = redirectToXsk(xsks);
    using _link = attachXdp(prog, pair.host, { mode: 'skb' });
    xsks.set(0, xsk.fd);
    for (const tag of ['r', 's']) {
      pair.sendUdp(tag, 8);
      expect(await receivePayloads(xsk, 8)).toEqual(Array.from({ length: 8 }, (_, i) => `${tag}${i}`));
    }
    expect(() => xsk.transmit(pair.udpFrame('not sent'))).toThrow(XskReceiveOnlyError);
    expect(() => xsk.flush()).toThrow(XskReceiveOnlyError);
    expect(xsk.completions()).toBe(0);
    expect([xsk.inFlight, xsk.needsFlush]).toEqual([0, false]);
  });

  it('a transmit-only socket (rxSize: 0) sends its frames to the peer, reuses them, and refuses to receive', async () => {
    const before = openFds();
    {
      // two frames, both transmitting (frameCount defaults to txSize); the fill ring stays empty
      using xsk = await openXsk({
        interface: pair.host,
        rxSize: 0,
        fillSize: 1,
        txSize: 2,
        completionSize: 2,
      });
      for (const text of ['tx-only 0', 'tx-only 1', 'tx-only 2']) {
        await using listener = await pair.listen();
        let queued = false;
        for (let i = 0; i < 100 && !queued; i++) {
          queued = xsk.transmit(pair.udpFrame(text)); // false while both frames wait for completion
          if (!queued) await sleep(10);
        }
        expect(queued).toBe(true);
        expect(await listener.exited).toBe(0);
        expect(listener.output()).toContain(`got ${text}`);
      }
      for (let i = 0; i < 50 && xsk.inFlight > 0; i++) {
        xsk.completions();
        await sleep(10);
      }
      expect(xsk.inFlight).toBe(0);
      expect(xsk.statistics().txInvalidDescs).toBe(0n);
      expect(() => xsk.receive()).toThrow(XskTransmitOnlyError);
      expect(() => xsk.receiveEach(() => {})).toThrow(
        /receiveEach\(\) on the AF_XDP socket .*transmit-only \(rxSize: 0\)/,
      );
      await expect(xsk.batches().next()).rejects.toThrow(XskTransmitOnlyError);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('transmit sends a crafted frame out of the interface to a UDP socket on the peer', async () => {
    using xsk = await openXsk({ interface: pair.host, ...SMALL });
    await using listener = await pair.listen();
    expect(xsk.transmit(pair.udpFrame('sent by XskSocket'))).toBe(true);
    expect(await listener.exited).toBe(0);
    expect(listener.output()).toContain('got sent by XskSocket');
    for (let i = 0; i < 50 && xsk.inFlight > 0; i++) {
      xsk.completions();
      await sleep(10);
    }
    expect(xsk.inFlight).toBe(0);
  });

  it('refuses bad options and frames naming them, and closes idempotently', async () => {
    expect(() => XskSocket.open({ interface: pair.host, frameSize: 3000 })).toThrow(/frameSize/);
    // above the page size: XskSocket's own option is named, not the raw layer's chunkSize
    expect(() => XskSocket.open({ interface: pair.host, frameSize: 8192 })).toThrow(
      /^invalid frameSize: .*8192/,
    );
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
    // the largest headroom this kernel takes for 4096-byte frames (x86-64: 4096 − 704)
    (await openXsk({ interface: pair.host, ...SMALL, headroom: 3392 })).close();
  });
});
