// A TX wake-up the kernel refuses (interface down, more frames than one wake-up sends) leaves
// the frames queued and the socket saying so (needsFlush); completions(), receive() and flush()
// try the wake-up again, so the frames leave once the interface is up.
import { execFileSync } from 'node:child_process';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { XskSocket } from '../src/index.js';
import { openXsk, SMALL, sleep, XskVeth } from './support.js';

describeKernel('XskSocket TX wake-ups the kernel refuses', () => {
  const pair = new XskVeth('xt', 168);
  beforeAll(() => {
    pair.create();
  });
  afterAll(() => pair.destroy());

  const link = (state: 'up' | 'down') => execFileSync('ip', ['link', 'set', pair.host, state]);

  /** Queues `texts` while the host side is down: each wake-up is refused (ENETDOWN). */
  function transmitWhileDown(xsk: XskSocket, texts: readonly string[]): void {
    link('down');
    try {
      for (const text of texts) expect(xsk.transmit(pair.udpFrame(text))).toBe(true);
      expect(xsk.needsFlush).toBe(true);
      expect(xsk.flush()).toBe(false);
      expect(xsk.needsFlush).toBe(true);
      expect(xsk.inFlight).toBe(texts.length);
    } finally {
      link('up');
    }
  }

  /** Calls `step` every 10 ms until `done()` (at most ~2 s). */
  async function until(done: () => boolean, step: () => void): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) {
      step();
      await sleep(10);
    }
  }

  for (const call of ['completions', 'receive', 'receiveEach'] as const) {
    it(`a frame queued while the interface is down reaches the peer once it is up and ${call}() runs`, async () => {
      using xsk = await openXsk({ interface: pair.host, mode: 'copy', ...SMALL });
      await using listener = await pair.listen();
      transmitWhileDown(xsk, ['sent after link up']);
      const step = {
        completions: () => xsk.completions(),
        receive: () => xsk.receive(),
        receiveEach: () => xsk.receiveEach(() => {}),
      }[call];
      await until(() => listener.output().includes('got'), step);
      expect(await listener.exited).toBe(0);
      expect(listener.output()).toContain('got sent after link up');
      expect(xsk.needsFlush).toBe(false);
      await until(
        () => xsk.inFlight === 0,
        () => xsk.completions(),
      );
      expect(xsk.inFlight).toBe(0);
    });
  }

  it('more queued frames than one wake-up sends (EAGAIN) all leave: the wake-up is retried', async () => {
    const rings = { frameCount: 128, fillSize: 64, rxSize: 64, txSize: 64, completionSize: 64 };
    using xsk = await openXsk({ interface: pair.host, mode: 'copy', ...rings });
    transmitWhileDown(
      xsk,
      Array.from({ length: 60 }, (_, i) => `burst ${i}`),
    );
    expect(xsk.flush()).toBe(false); // the kernel sends a batch and answers EAGAIN for the rest
    expect(xsk.needsFlush).toBe(true);
    await until(
      () => xsk.inFlight === 0,
      () => xsk.completions(),
    );
    expect(xsk.inFlight).toBe(0);
    expect(xsk.needsFlush).toBe(false);
    expect(xsk.statistics().txInvalidDescs).toBe(0n);
  });
});
