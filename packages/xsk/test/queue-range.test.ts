// A queue id beyond the interface's queues: refused before the socket is made from the counts
// the kernel lists (in use while the interface is up, else allocated), and the kernel's EINVAL
// at bind explained when the counts in use are not listed.

import { execFileSync } from 'node:child_process';
import { ifindex, NetlinkError } from '@ts-ebpf/programs';
import { InvalidArgumentError } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy, VethPair } from '@ts-ebpf/test-utils';
import { EbpfError } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XskQueueRangeError, XskSocket, type XskSocketOptions } from '../src/index.js';
import { openXsk, setChannels, sleep } from './support.js';

const small = { frameCount: 8, fillSize: 4, rxSize: 4, txSize: 4, completionSize: 4 } as const;

/** The XskQueueRangeError opening a socket with `o` throws. */
function rangeError(o: Partial<XskSocketOptions>, iface: string | number): XskQueueRangeError {
  const e = thrownBy(() => XskSocket.open({ interface: iface, ...small, ...o }));
  expect(e).toBeInstanceOf(XskQueueRangeError);
  expect(e).toBeInstanceOf(EbpfError);
  return e as XskQueueRangeError;
}

/**
 * setChannels, retried while the kernel still holds the pool of a socket closed moments ago on
 * a queue the new counts drop (it refuses them then: EINVAL).
 */
async function settleChannels(index: number, rx: number, tx: number): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return setChannels(index, rx, tx);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.code === 'EINVAL') || i >= 100) throw e;
      await sleep(20);
    }
  }
}

describeKernel('XskSocket queue ids beyond the interface queues', () => {
  const pair = new VethPair('xq', 170);
  let index = 0;
  beforeAll(() => {
    pair.create(4);
    index = ifindex(pair.host);
  });
  afterAll(() => pair.destroy());
  const link = (state: 'up' | 'down') => execFileSync('ip', ['link', 'set', pair.host, state]);

  it('a queue id not below the queues in use is refused before the socket is made', async () => {
    const before = openFds();
    // 65536 and up: the kernel would keep 16 bits of it and bind queue 0
    for (const queueId of [4, 65536]) {
      const e = rangeError({ queueId }, pair.host);
      expect(e.message).toBe(
        `queue ${queueId} of interface '${pair.host}' (ifindex ${index}) is out of range: it has 4 RX and 4 TX ` +
          'queues in use, and an AF_XDP socket binds only to a queue below the larger count (0 to 3)',
      );
      expect([e.ifindex, e.queueId, e.rxQueues, e.txQueues, e.counted]).toEqual([
        index,
        queueId,
        4,
        4,
        'in-use',
      ]);
      expect(e.cause).toBeUndefined(); // no bind was tried
    }
    expect(rangeError({ queueId: 9 }, index).message).toMatch(
      /^queue 9 of interface ifindex \d+ is out of range/,
    );
    (await openXsk({ interface: pair.host, ...small, queueId: 3 })).close();
    expect(leakedFds(before)).toEqual([]);
  });

  it('with fewer queues in use than allocated, the count in use decides; down, the kernel refusal is explained', async () => {
    const before = openFds();
    await settleChannels(index, 2, 2);
    try {
      const e = rangeError({ queueId: 2 }, pair.host);
      expect(e.message).toContain('it has 2 RX and 2 TX queues in use');
      expect([e.counted, e.cause]).toEqual(['in-use', undefined]);
      link('down'); // the kernel lists no queue in use: the allocated counts are all there is
      try {
        const refused = rangeError({ queueId: 2, mode: 'copy' }, pair.host);
        expect(refused.message).toContain(
          'is out of range: the kernel refused it (bind: EINVAL): it has 4 RX and 4 TX queues allocated but uses fewer',
        );
        expect(refused.counted).toBe('allocated');
        expect(refused.cause).toBeInstanceOf(InvalidArgumentError);
        const beyond = rangeError({ queueId: 4 }, pair.host);
        expect(beyond.message).toContain('it has 4 RX and 4 TX queues allocated (possibly fewer in use)');
        expect([beyond.counted, beyond.cause]).toEqual(['allocated', undefined]);
        (await openXsk({ interface: pair.host, ...small, queueId: 1 })).close();
      } finally {
        link('up');
      }
    } finally {
      await settleChannels(index, 4, 4);
    }
    expect(leakedFds(before)).toEqual([]);
  });
});
