import { possibleCpuCount } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import {
  ArrayMap,
  BpfMap,
  CodecError,
  encode,
  HashMap,
  LpmTrie,
  PerCpuHashMap,
  perCpu,
  QueueMap,
  struct,
  u32,
  u64,
  u64AsNumber,
} from '../src/index.js';

const BIG = 2n ** 53n + 5n; // above Number.MAX_SAFE_INTEGER

// The CodecError `act` throws, checked to be a map's: names `map` and wraps the codec's own error.
function codecError(act: () => unknown, map: string | RegExp): CodecError {
  let thrown: unknown;
  try {
    act();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CodecError);
  const e = thrown as CodecError;
  if (typeof map === 'string') expect(e.map).toBe(map);
  else expect(e.map).toMatch(map);
  expect(e.cause).toBeInstanceOf(CodecError);
  expect((e.cause as CodecError).map).toBeUndefined();
  return e;
}

describeKernel('codec errors of map operations name the map and the side', () => {
  it('a key that does not encode: every keyed operation, the kernel left untouched', () => {
    using m = HashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'counts' });
    m.set(1, 7n);
    const acts = [
      () => m.get(-1),
      () => m.set(-1, 1n),
      () => m.has(-1),
      () => m.delete(-1),
      () => m.getAndDelete(-1),
      () => m.deleteBatch([1, -1]),
      () => m.setBatch([2, -1], [1n, 1n]),
    ];
    for (const act of acts) {
      const e = codecError(act, "hash map 'counts'");
      expect(e.field).toMatch(/^keys?(\[1\])?$/);
      expect(e.message).toBe(`hash map 'counts': ${e.field}: -1 is not a u32 (integer in 0..4294967295)`);
      expect((e.cause as Error).message).toBe(`${e.field}: -1 is not a u32 (integer in 0..4294967295)`);
    }
    // nothing was written or deleted: the batches stopped at encoding
    expect([...m.entries()]).toEqual([[1, 7n]]);
  });

  it('a value that does not encode names the value field path', () => {
    using m = HashMap.create({
      key: u32,
      value: struct({ packets: u64, bytes: u32 }),
      maxEntries: 4,
      name: 'flows',
    });
    const e = codecError(() => m.set(1, { packets: 1n, bytes: 2 ** 32 }), "hash map 'flows'");
    expect(e.field).toBe('value.bytes');
    expect(e.message).toBe(
      "hash map 'flows': value.bytes: 4294967296 is not a u32 (integer in 0..4294967295)",
    );
    expect(m.has(1)).toBe(false);
  });

  it('a value that does not decode: get, getAndDelete, getBatch, iteration, the key walk', () => {
    using m = HashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'big' });
    m.set(3, BIG);
    using n = BpfMap.fromId(m.info().id, { key: u32, value: u64AsNumber });
    const acts = [() => n.get(3), () => n.getBatch(), () => [...n.values()], () => [...n]];
    for (const act of acts) {
      const e = codecError(act, "hash map 'big'");
      expect(e.field).toBe('value');
      expect(e.message).toMatch(/^hash map 'big': value: u64AsNumber: 9007199254740997 is outside /);
      expect((e.cause as CodecError).field).toBe('u64AsNumber');
    }
    codecError(() => n.getAndDelete(3), "hash map 'big'");
    // the kernel deleted it before the value was decoded: the error says what was lost
    expect(m.has(3)).toBe(false);
  });

  it('a struct field that does not decode is named by its path in the value, per-CPU values by their CPU', () => {
    const wide = struct({ len: u32, ts: u64 });
    using m = HashMap.create({ key: u32, value: struct({ hdr: wide }), maxEntries: 1, name: 'flows' });
    m.set(1, { hdr: { len: 2, ts: BIG } });
    using n = BpfMap.fromId(m.info().id, {
      key: u32,
      value: struct({ hdr: struct({ len: u32, ts: u64AsNumber }) }),
    });
    const e = codecError(() => n.get(1), "hash map 'flows'");
    expect(e.field).toBe('value.hdr.ts');
    expect(e.message).toMatch(/^hash map 'flows': value\.hdr\.ts: u64AsNumber: 9007199254740997 is outside /);
    expect((e.cause as CodecError).field).toBe('hdr.ts');
    using p = PerCpuHashMap.create({ key: u32, value: u64, maxEntries: 1, name: 'percpu' });
    const cpus = possibleCpuCount();
    p.set(
      1,
      Array.from({ length: cpus }, (_, i) => (i === cpus - 1 ? BIG : 1n)),
    );
    using q = BpfMap.fromId(p.info().id, { key: u32, value: perCpu(u64AsNumber) });
    const last = codecError(() => q.get(1), "percpu_hash map 'percpu'");
    expect(last.field).toBe(`value[cpu ${cpus - 1}]`);
    expect(last.message).toMatch(
      new RegExp(
        `^percpu_hash map 'percpu': value\\[cpu ${cpus - 1}\\]: u64AsNumber: 9007199254740997 is outside `,
      ),
    );
  });

  it('a value taken out of the map that does not decode says the map no longer holds it, and its bytes', () => {
    const hex = Buffer.from(encode(u64, BIG, HOST_BYTE_ORDER)).toString('hex');
    const lost = new RegExp(`; the map removed this entry before it was decoded \\(value bytes 0x${hex}\\)$`);
    using m = HashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'taken' });
    using n = BpfMap.fromId(m.info().id, { key: u32, value: u64AsNumber });
    m.set(3, BIG);
    expect(codecError(() => n.getAndDelete(3), "hash map 'taken'").message).toMatch(lost);
    expect(m.has(3)).toBe(false);
    m.set(4, BIG);
    expect(codecError(() => n.getAndDeleteBatch(), "hash map 'taken'").message).toMatch(lost);
    expect(m.has(4)).toBe(false);
    using q = QueueMap.create({ value: u64, maxEntries: 2, name: 'bigjobs' });
    q.push(BIG);
    using popped = QueueMap.wrap(BpfMap.fromId(q.map.info().id, { value: u64AsNumber }));
    expect(codecError(() => popped.pop(), "queue map 'bigjobs'").message).toMatch(lost);
    expect(q.peek()).toBeUndefined();
    // a lookup that leaves the entry says nothing of the kind
    m.set(5, BIG);
    expect(codecError(() => n.get(5), "hash map 'taken'").message).not.toMatch(/removed/);
  });

  it('clearing a queue takes every value without decoding it: values its codec cannot read do not stop it', () => {
    using q = QueueMap.create({ value: u64, maxEntries: 3, name: 'clearjobs' });
    for (const v of [BIG, 1n, BIG]) q.push(v);
    using asNumber = QueueMap.wrap(BpfMap.fromId(q.map.info().id, { value: u64AsNumber }));
    expect(asNumber.clear()).toBe(3);
    expect(q.peek()).toBeUndefined();
  });

  it('clearing a hash map (batch deletes) decodes nothing: keys and values its codecs cannot read do not stop it', () => {
    using m = HashMap.create({ key: u64, value: u64, maxEntries: 600, name: 'clearhash' });
    // more than one batch of 512, with undecodable keys and values among them
    for (let i = 0n; i < 600n; i++) m.set(i % 7n === 0n ? BIG + i : i, i % 5n === 0n ? BIG : i);
    using asNumbers = BpfMap.fromId(m.info().id, { key: u64AsNumber, value: u64AsNumber });
    expect(asNumbers.clear()).toBe(600);
    expect([...m.keys()]).toEqual([]);
  });

  it('clearing an LPM trie (a key walk) decodes nothing either', () => {
    using t = LpmTrie.create({ addr: u64, value: u64, maxEntries: 8, name: 'clearlpm' });
    t.set({ prefixLen: 64, addr: BIG }, BIG);
    t.set({ prefixLen: 32, addr: 1n }, 2n);
    using asNumbers = BpfMap.fromId(t.info().id, {
      key: struct({ prefixLen: u32, addr: u64AsNumber }, { packed: true }),
      value: u64AsNumber,
    });
    expect(asNumbers.clear()).toBe(2);
    expect([...t.keys()]).toEqual([]);
  });

  it('a key that does not decode, while iterating', () => {
    using m = HashMap.create({ key: u64, value: u32, maxEntries: 4, name: 'bigkeys' });
    m.set(BIG, 1);
    using n = BpfMap.fromId(m.info().id, { key: u64AsNumber, value: u32 });
    for (const act of [() => [...n.keys()], () => n.getBatch()]) {
      const e = codecError(act, "hash map 'bigkeys'");
      expect(e.field).toBe('key');
      expect(e.message).toMatch(/^hash map 'bigkeys': key: u64AsNumber: 9007199254740997 /);
    }
  });

  it('an unnamed map is named by its type and id', () => {
    using m = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
    const e = codecError(() => m.set(1, -1), `hash map (id ${m.info().id})`);
    expect(e.message).toMatch(/^hash map \(id \d+\): value: -1 is not a u32/);
  });

  it('per-CPU values and keyless maps name the map too', () => {
    using p = PerCpuHashMap.create({ key: u32, value: u32, maxEntries: 1, name: 'percpu' });
    const cpus = possibleCpuCount();
    const e = codecError(() => p.set(1, new Array(cpus).fill(-1)), "percpu_hash map 'percpu'");
    expect(e.field).toBe('value[cpu 0]');
    expect(
      codecError(() => p.set(1, [...new Array(cpus + 1).fill(1)]), "percpu_hash map 'percpu'").field,
    ).toBe('value');
    using q = QueueMap.create({ value: u32, maxEntries: 2, name: 'jobs' });
    const pushed = codecError(() => q.push(-1), "queue map 'jobs'");
    expect(pushed.message).toBe("queue map 'jobs': value: -1 is not a u32 (integer in 0..4294967295)");
    expect(q.peek()).toBeUndefined();
  });

  it('a memory-mapped array names its map when an element does not code', () => {
    using a = ArrayMap.create({ value: u64, maxEntries: 2, name: 'mm', mmapable: true });
    a.set(0, BIG);
    using raw = a.mmap();
    const e = codecError(() => raw.set(1, -1n), "array map 'mm'");
    expect(e.message).toBe("array map 'mm': value: -1n is not a u64 (bigint in 0..18446744073709551615)");
    using n = BpfMap.fromId(a.info().id, { key: u32, value: u64AsNumber });
    using asNumber = n.mmap();
    const read = codecError(() => asNumber.get(0), "array map 'mm'");
    expect(read.field).toBe('value');
  });

  it('a codec used on its own names no map', () => {
    using m = HashMap.create({ key: u32, value: u32, maxEntries: 1, name: 'x' });
    let thrown: unknown;
    try {
      m.keyCodec.write(new DataView(new ArrayBuffer(4)), 0, -1, 'key', 'little');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CodecError);
    expect((thrown as CodecError).map).toBeUndefined();
    expect((thrown as CodecError).cause).toBeUndefined();
  });
});
