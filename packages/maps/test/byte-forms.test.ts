import { close } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, expect, it } from 'vitest';
import {
  BpfMap,
  bytes,
  decode,
  defaultPoller,
  HashMap,
  LpmTrie,
  MapType,
  PerfBuffer,
  type RawBatchResult,
  RingBuffer,
  struct,
  UserRingBuffer,
  UserRingBufMap,
  u32,
  u64,
} from '../src/index.js';
import { counters, perfWithProducer, ringWithProducer, run } from './programs.js';
import { loadUserRingDrainer, runSyscall } from './user-ring-drainer.js';

/**
 * The same bytes as a plain Uint8Array, a Node Buffer (small ones share Node's pool: a non-zero
 * byteOffset) and a subarray at an odd offset of a larger buffer whose other bytes are a sentinel.
 */
function forms(content: Uint8Array): { name: string; bytes: Uint8Array; backing: Uint8Array }[] {
  const plain = new Uint8Array(content);
  const buffer = Buffer.from(content);
  const big = new Uint8Array(content.byteLength + 16).fill(0xee);
  big.set(content, 7);
  const odd = big.subarray(7, 7 + content.byteLength);
  return [
    { name: 'plain', bytes: plain, backing: plain },
    // the pool's other bytes belong to whoever allocates next: the odd subarray's sentinel checks
    // writes outside a view
    { name: 'Buffer', bytes: buffer, backing: buffer },
    { name: 'odd subarray', bytes: odd, backing: big },
  ];
}

/** Runs `use` on each form of `content`; checks the results agree and no byte of any backing store changed. */
function eachForm<R>(content: Uint8Array, use: (bytes: Uint8Array) => R): R {
  const results: R[] = [];
  for (const f of forms(content)) {
    const before = f.backing.slice();
    results.push(use(f.bytes));
    expect(f.backing, `${f.name}: the caller's bytes were written`).toEqual(before);
  }
  expect(results[1], 'Buffer result').toEqual(results[0]);
  expect(results[2], 'odd subarray result').toEqual(results[0]);
  return results[0]!;
}

afterAll(() => expect(defaultPoller().size).toBe(0));

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

describeKernel('byte inputs in any form, never written to', () => {
  it('decode reads only its view', () => {
    const s = struct({ a: u32, b: u64 });
    const content = new Uint8Array(16).map((_, i) => i + 1);
    const v = eachForm(content, (b) => decode(s, b, HOST_BYTE_ORDER));
    expect(v).toEqual(decode(s, content.slice(), HOST_BYTE_ORDER));
    expect(eachForm(content.subarray(0, 4), (b) => decode(u32, b, 'big'))).toBe(0x01020304);
  });

  it('raw-byte maps store and find keys and values given in any form', () => {
    using m = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    const key = hex('0a0b0c0d');
    const value = hex('0102030405060708');
    eachForm(key, (k) =>
      eachForm(value, (v) => {
        m.set(k, v);
        return m.get(k);
      }),
    );
    expect(m.get(key)).toEqual(value);
    expect(eachForm(key, (k) => m.has(k))).toBe(true);
    expect(eachForm(key, (k) => m.set(key, value).getAndDelete(k))).toEqual(value);
    expect(m.has(key)).toBe(false);
  });

  it('batch updates and deletes take keys and values in any form', () => {
    using m = HashMap.create({ key: bytes(4), value: bytes(4), maxEntries: 16 });
    const k1 = hex('00000001');
    const k2 = hex('00000002');
    const v = hex('deadbeef');
    const written = eachForm(k1, (a) =>
      eachForm(k2, (b) => eachForm(v, (x) => [m.setBatch([a, b], [x, x]), m.get(a), m.get(b)])),
    );
    expect(written).toEqual([2, v, v]);
    const deleted = eachForm(k1, (a) =>
      eachForm(k2, (b) => {
        m.setBatch([a, b], [v, v]);
        return m.deleteBatch([a, b]);
      }),
    );
    expect(deleted).toBe(2);
  });

  it('getBatchBytes refills an `into` the caller made only within its own bytes', () => {
    using m = HashMap.create({ key: u32, value: u32, maxEntries: 16 });
    m.setBatch([1, 2, 3, 4], [10, 20, 30, 40]);
    const expected = m.getBatchBytes(null, 16);
    expect(expected.count).toBe(4);
    // too small for the chunk: a view at offset 0 of a larger array, a Buffer over an ArrayBuffer
    // it shares, and a subarray at an odd offset; around each, bytes that are not theirs
    const small = new Uint8Array(64).fill(0xee);
    const shared = new ArrayBuffer(64);
    new Uint8Array(shared).fill(0xee);
    const odd = new Uint8Array(64).fill(0xee);
    for (const [name, keys, backing] of [
      ['offset-0 view', small.subarray(0, 4), small],
      ['Buffer on shared memory', Buffer.from(shared, 0, 4), new Uint8Array(shared)],
      ['odd subarray', odd.subarray(7, 11), odd],
    ] as const) {
      const before = backing.slice();
      const into: RawBatchResult = { count: 0, keys, values: keys, cursor: null, done: false };
      const r = m.getBatchBytes(null, 16, { into });
      expect(r.count, name).toBe(4);
      expect(r.keys, name).toEqual(expected.keys);
      expect(r.values, name).toEqual(expected.values);
      expect(backing, `${name}: bytes outside the caller's view were written`).toEqual(before);
    }
    // large enough: refilled in its own bytes, at its own offset
    const room = new Uint8Array(64).fill(0xee);
    const view = room.subarray(5, 5 + 16);
    const into: RawBatchResult = {
      count: 0,
      keys: view,
      values: new Uint8Array(16),
      cursor: null,
      done: false,
    };
    const r = m.getBatchBytes(null, 16, { into });
    expect(r.keys.buffer).toBe(room.buffer);
    expect(r.keys.byteOffset).toBe(5);
    expect(r.keys).toEqual(expected.keys);
    expect(room.subarray(0, 5).every((b) => b === 0xee)).toBe(true);
    expect(room.subarray(21).every((b) => b === 0xee)).toBe(true);
  });

  it('LPM tries take raw address bytes in any form', () => {
    using t = LpmTrie.create({ addr: bytes(4), value: u32, maxEntries: 8 });
    const addr = hex('0a000000');
    eachForm(addr, (a) => t.set({ prefixLen: 8, addr: a }, 8).get({ prefixLen: 8, addr: a }));
    expect(eachForm(hex('0a010203'), (a) => LpmTrie.lookup(t, a))).toBe(8);
  });

  it('ring buffer records decode the same from any form', () => {
    using p = ringWithProducer(32, 4096);
    using reader = RingBuffer.open(p.ring);
    run(p.prog, 3);
    const records = reader.read();
    expect(records).toHaveLength(3);
    const layout = struct({ seq: u64, fill: bytes(16), last: u64 });
    records.forEach((r, i) => {
      const v = eachForm(r, (b) => decode(layout, b, HOST_BYTE_ORDER));
      expect(v.seq).toBe(BigInt(i));
      expect(v.last).toBe(BigInt(i));
    });
  });

  it('perf samples decode the same from any form', () => {
    using p = perfWithProducer(16);
    const { map, prog } = p;
    using perf = PerfBuffer.open(map, { pages: 1 });
    run(prog, 3);
    const samples = perf.read();
    expect(samples).toHaveLength(3);
    const layout = struct({ seq: u64, again: u64 });
    const seqs = samples.map((r) => {
      const v = eachForm(r.subarray(0, 16), (b) => decode(layout, b, HOST_BYTE_ORDER));
      expect(v.again).toBe(v.seq);
      return Number(v.seq);
    });
    expect(seqs.sort()).toEqual([0, 1, 2]);
  });

  it('user ring buffer samples are written from any form, and the program reads them', () => {
    using urb = UserRingBufMap.create({ maxEntries: 4096 });
    using cnt = counters();
    using producer = UserRingBuffer.open(urb);
    const sample = new Uint8Array(8);
    new DataView(sample.buffer).setBigUint64(0, 0x0102030405n, HOST_BYTE_ORDER === 'little');
    expect(eachForm(sample, (s) => producer.write(s))).toBe(true);
    const prog = loadUserRingDrainer(urb.fd, cnt.fd);
    try {
      expect(runSyscall(prog)).toBe(3);
    } finally {
      close(prog);
    }
    expect(cnt.get(0)).toEqual({ seq: 3n * 0x0102030405n, drops: 3n });
  });
});
