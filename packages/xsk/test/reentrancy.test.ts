// A receiveEach() visitor that receives again on the same socket: refused with a typed error,
// and the rings stay consistent (no frame handed out twice, none lost); transmitting and taking
// completions from inside a visitor work.
import { XskMap } from '@ts-ebpf/maps';
import { attachXdp } from '@ts-ebpf/programs';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XskReentrantReceiveError, type XskSocket, XskSocketError } from '../src/index.js';
import { openXsk, payloadTexts, receivePayloads, redirectToXsk, sleep, XskVeth } from './support.js';

const RINGS_OF_8 = { frameCount: 16, fillSize: 8, rxSize: 8, txSize: 8, completionSize: 8 } as const;
const texts = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}`);

describeKernel('XskSocket re-entrancy', () => {
  const pair = new XskVeth('xr', 167);
  beforeAll(() => {
    pair.create();
  });
  afterAll(() => pair.destroy());

  /** A copy-mode socket fed by a redirecting program; `run` gets it once `waiting` frames wait. */
  async function withWaitingFrames(waiting: number, run: (xsk: XskSocket) => Promise<void>): Promise<void> {
    using xsks = XskMap.create({ maxEntries: 4 });
    using xsk = await openXsk({ interface: pair.host, mode: 'copy', ...RINGS_OF_8 });
    using prog = redirectToXsk(xsks);
    using _link = attachXdp(prog, pair.host, { mode: 'skb' });
    xsks.set(0, xsk.fd);
    pair.sendUdp('a', waiting);
    await sleep(200);
    await run(xsk);
  }

  it('receive() and receiveEach() inside a visitor throw XskReentrantReceiveError; no frame comes twice', async () => {
    await withWaitingFrames(4, async (xsk) => {
      const visited: string[] = [];
      const nested: unknown[] = [];
      const count = xsk.receiveEach((view) => {
        visited.push(...payloadTexts([view]));
        for (const again of [() => xsk.receive(), () => xsk.receiveEach(() => {})]) {
          try {
            again();
          } catch (e) {
            nested.push(e);
          }
        }
      }, 1);
      expect(count).toBe(1);
      expect(visited).toEqual(['a0']);
      expect(nested).toHaveLength(2);
      for (const e of nested) {
        expect(e).toBeInstanceOf(XskReentrantReceiveError);
        expect(e).toBeInstanceOf(XskSocketError);
        expect([(e as XskSocketError).ifindex, (e as XskSocketError).queueId]).toEqual([xsk.ifindex, 0]);
        expect((e as Error).message).toMatch(/receive.*inside.*visitor/);
      }
      expect(await receivePayloads(xsk, 3)).toEqual(['a1', 'a2', 'a3']);
      // The fill ring got each frame back once: three more rounds of 8 cycle through all of them.
      for (const tag of ['b', 'c', 'd']) {
        pair.sendUdp(tag, 8);
        expect(await receivePayloads(xsk, 8)).toEqual(texts(tag, 8));
      }
      expect(xsk.receive()).toEqual([]);
    });
  });

  it('a visitor that throws the error on gives its frame back: the batch ends there, the rest waits', async () => {
    await withWaitingFrames(4, async (xsk) => {
      expect(() => xsk.receiveEach(() => xsk.receive())).toThrow(XskReentrantReceiveError);
      expect(await receivePayloads(xsk, 3)).toEqual(['a1', 'a2', 'a3']);
      pair.sendUdp('b', 8);
      expect(await receivePayloads(xsk, 8)).toEqual(texts('b', 8));
    });
  });

  it('transmit() and completions() inside a visitor send and reclaim frames', async () => {
    await withWaitingFrames(1, async (xsk) => {
      await using listener = await pair.listen();
      let sent = false;
      xsk.receiveEach((view) => {
        for (const text of payloadTexts([view])) sent = xsk.transmit(pair.udpFrame(`echo ${text}`));
        xsk.completions();
      });
      expect(sent).toBe(true);
      expect(await listener.exited).toBe(0);
      expect(listener.output()).toContain('got echo a0');
      for (let i = 0; i < 50 && xsk.inFlight > 0; i++) {
        xsk.receiveEach(() => {}); // nothing waits: the visitor is not called
        xsk.completions();
        await sleep(10);
      }
      expect(xsk.inFlight).toBe(0);
    });
  });
});
