import { describe, expect, it } from 'vitest';
import { readPosition, recordSpan, writePosition } from '../src/ring-layout.js';

describe('ring positions', () => {
  it('round-trips u64 positions through native-order halves, across 4 GiB', () => {
    const halves = new Uint32Array(4);
    const u64 = new BigUint64Array(halves.buffer);
    for (const pos of [0, 8, 2 ** 32 - 8, 2 ** 32, 2 ** 32 + 8, 3 * 2 ** 32 + 1024, 2 ** 52]) {
      writePosition(halves, 2, pos);
      // the kernel reads a native u64
      expect(u64[1]).toBe(BigInt(pos));
      expect(readPosition(halves, 8)).toBe(pos);
    }
    expect(u64[0]).toBe(0n);
  });

  it('pads records to 8 bytes after the 8-byte header', () => {
    expect([0, 1, 8, 9, 64, 1016].map(recordSpan)).toEqual([8, 16, 16, 24, 72, 1024]);
  });
});
