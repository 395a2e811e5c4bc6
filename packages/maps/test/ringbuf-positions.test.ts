import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { ReaderClosedError, RingBuffer } from '../src/index.js';
import { ringWithProducer, run } from './programs.js';

// A 16-byte record takes 24 bytes of ring: an 8-byte header, then the payload, padded to 8.
const SPAN = 24;

describeKernel('RingBuffer positions', () => {
  it('size, producer and consumer positions and availableBytes follow the kernel', () => {
    using p = ringWithProducer(16, 4096);
    using reader = RingBuffer.open(p.ring);
    expect(reader.size).toBe(4096);
    expect([reader.producerPosition, reader.consumerPosition, reader.availableBytes]).toEqual([0, 0, 0]);
    run(p.prog, 10);
    expect([reader.producerPosition, reader.consumerPosition, reader.availableBytes]).toEqual([
      10 * SPAN,
      0,
      10 * SPAN,
    ]);
    expect(reader.read(3)).toHaveLength(3);
    expect([reader.producerPosition, reader.consumerPosition, reader.availableBytes]).toEqual([
      10 * SPAN,
      3 * SPAN,
      7 * SPAN,
    ]);
    // a lease holds its records' space until its commit
    const lease = reader.leaseRecords({ maxRecords: 4 });
    expect(lease.count).toBe(4);
    expect(reader.consumerPosition).toBe(3 * SPAN);
    expect(reader.availableBytes).toBe(7 * SPAN);
    lease.commit();
    expect(reader.consumerPosition).toBe(7 * SPAN);
    expect(reader.availableBytes).toBe(3 * SPAN);
    expect(reader.read()).toHaveLength(3);
    expect(reader.availableBytes).toBe(0);
    expect(reader.consumerPosition).toBe(10 * SPAN);
  });

  it('counts discarded records, and a full ring is availableBytes close to size', () => {
    using p = ringWithProducer(16, 4096, true);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 1000);
    // 170 records fit (4096 / 24), the rest were dropped by the producer
    expect(reader.availableBytes).toBe(Math.floor(4096 / SPAN) * SPAN);
    expect(reader.producerPosition).toBe(reader.availableBytes);
    // the even records are committed, the odd ones discarded: both take space until read
    expect(reader.read()).toHaveLength(Math.floor(4096 / SPAN) / 2);
    expect(reader.availableBytes).toBe(0);
    expect(reader.consumerPosition).toBe(reader.producerPosition);
  });

  it('refuses to read positions once closed', () => {
    using p = ringWithProducer(16, 4096);
    const reader = RingBuffer.open(p.ring);
    reader.close();
    expect(() => reader.availableBytes).toThrow(ReaderClosedError);
    expect(() => reader.producerPosition).toThrow(ReaderClosedError);
    expect(() => reader.consumerPosition).toThrow(ReaderClosedError);
  });
});
