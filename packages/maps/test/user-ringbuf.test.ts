import { BpfArgumentError, close } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { UserRingBuffer, UserRingBufMap } from '../src/index.js';
import { counters } from './programs.js';
import { loadUserRingDrainer, runSyscall } from './user-ring-drainer.js';

const u64le = (n: number, size = 8) => {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

describeKernel('UserRingBuffer producer', () => {
  it('samples written from JS are drained by a program calling bpf_user_ringbuf_drain', () => {
    using map = UserRingBufMap.create({ maxEntries: 4096 });
    using cnt = counters();
    const prog = loadUserRingDrainer(map.fd, cnt.fd);
    try {
      using urb = UserRingBuffer.open(map);
      expect(urb.available).toBe(4096);
      let expectedSum = 0;
      let expectedCount = 0;
      for (let round = 0; round < 50; round++) {
        // 10 samples per round, of mixed sizes; one reserved and discarded.
        for (let i = 0; i < 10; i++) {
          const n = round * 10 + i;
          expect(urb.write(u64le(n, 8 + (n % 5) * 8))).toBe(true);
          expectedSum += n;
          expectedCount++;
        }
        const skip = urb.reserve(16)!;
        skip.bytes.set(u64le(1_000_000));
        skip.discard();
        expect(() => skip.submit()).toThrow(/already/);
        expect(runSyscall(prog)).toBe(10);
      }
      expect(cnt.get(0)).toEqual({ seq: BigInt(expectedSum), drops: BigInt(expectedCount) });
      expect(urb.available).toBe(4096);
    } finally {
      close(prog);
    }
  });

  it('reports a full ring and refuses samples that can never fit', () => {
    using map = UserRingBufMap.create({ maxEntries: 4096 });
    using urb = UserRingBuffer.open(map);
    let n = 0;
    while (urb.write(new Uint8Array(100))) n++;
    expect(n).toBe(Math.floor(4096 / 112));
    expect(() => urb.reserve(4096)).toThrow(BpfArgumentError);
    urb.close();
    urb.close();
    expect(() => urb.reserve(8)).toThrow(/closed/);
  });

  it('refuses a sample larger than a program can drain (a bpf_dynptr holds 2^24 - 1 bytes)', async () => {
    using map = UserRingBufMap.create({ maxEntries: 2 ** 25 });
    using cnt = counters();
    const prog = loadUserRingDrainer(map.fd, cnt.fd);
    try {
      using urb = UserRingBuffer.open(map);
      // the kernel would fail every drain with E2BIG from then on: refused before it is queued
      expect(() => urb.reserve(2 ** 24)).toThrow(BpfArgumentError);
      expect(() => urb.reserve(2 ** 24)).toThrow(/bpf_dynptr, which holds at most 16777215 bytes/);
      await expect(urb.reserveAsync(2 ** 24)).rejects.toThrow(BpfArgumentError);
      expect(urb.available).toBe(2 ** 25);
      // the largest one drains
      expect(urb.write(new Uint8Array(2 ** 24 - 1))).toBe(true);
      expect(runSyscall(prog)).toBe(1);
      expect(urb.available).toBe(2 ** 25);
    } finally {
      close(prog);
    }
  });
});
