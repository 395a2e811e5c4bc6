import { dupFd, pageSize } from '@ts-ebpf/syscall';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import { BpfMapType } from '@ts-ebpf/uapi';
import {
  ArrayMap,
  BpfMap,
  type Codec,
  CodecError,
  HashMap,
  i64AsNumber,
  PerCpuArrayMap,
  perCpu,
  RingBuffer,
  struct,
  u32,
  u64,
  u64AsNumber,
} from '../src/index.js';
import { counts } from './mistake-maps.js';
import { ringWithProducer, run } from './programs.js';

const page = pageSize();

describeKernel('map mistakes: values that do not code (error catalog)', () => {
  catalog([
    {
      what: 'events decoded with a codec larger than the records',
      act: () => {
        using p = ringWithProducer(16, page);
        using reader = RingBuffer.open(p.ring);
        run(p.prog, 1);
        reader.consumeEvents(struct({ seq: u64, more: u64, tail: u64 }), () => {});
      },
      error: CodecError,
      names: ['struct', 'a 16-byte record', 'ring buffer reader of ringbuf map', '24 bytes'],
    },
    {
      what: 'a u64 above 2^53 - 1 decoded by u64AsNumber',
      act: () => {
        using p = ringWithProducer(16, page);
        p.cnt.set(0, { seq: 2n ** 53n + 5n, drops: 0n });
        using reader = RingBuffer.open(p.ring);
        run(p.prog, 1);
        reader.consumeEvents(struct({ seq: u64AsNumber, tail: u64 }), () => {});
      },
      error: CodecError,
      names: ['u64AsNumber', '9007199254740997', 'Number.MAX_SAFE_INTEGER', 'decode it with u64'],
    },
    {
      what: 'a number beyond 2^53 - 1 written through i64AsNumber',
      act: () => {
        using m = HashMap.create({ key: u32, value: i64AsNumber, maxEntries: 1 });
        m.set(1, 2 ** 53);
      },
      error: CodecError,
      names: ['value', '9007199254740992', 'i64AsNumber', 'bigint codec i64'],
    },
    // A key or value that does not code, met by a map operation: the map and the side are named.
    {
      what: 'a key the key codec refuses, given to set',
      act: () => {
        using m = counts();
        m.set(-1, 1n);
      },
      error: CodecError,
      names: ["hash map 'counts': key: ", '-1 is not a u32'],
      cause: CodecError,
    },
    {
      what: 'a key the key codec refuses, given to get of an unnamed map',
      act: () => {
        using m = HashMap.create({ key: u32, value: u64, maxEntries: 2 });
        m.get(2 ** 32);
      },
      error: CodecError,
      names: [/hash map \(id \d+\): key: /, '4294967296 is not a u32'],
      cause: CodecError,
    },
    {
      what: 'a value the value codec refuses, given to set',
      act: () => {
        using m = counts();
        m.set(1, 5 as unknown as bigint);
      },
      error: CodecError,
      names: ["hash map 'counts': value: ", '5 is not a u64'],
      cause: CodecError,
    },
    {
      what: 'a stored u64 above 2^53 - 1 read by get through u64AsNumber',
      act: () => {
        using m = counts();
        m.set(1, 2n ** 53n + 5n);
        using asNumber = BpfMap.fromId(m.info().id, { key: u32, value: u64AsNumber });
        asNumber.get(1);
      },
      error: CodecError,
      names: ["hash map 'counts': value: u64AsNumber: ", '9007199254740997', 'decode it with u64'],
      cause: CodecError,
    },
    {
      what: 'a stored u64 above 2^53 - 1 met while iterating through u64AsNumber',
      act: () => {
        using m = counts();
        m.set(1, 2n ** 53n + 5n);
        using asNumber = BpfMap.fromId(m.info().id, { key: u32, value: u64AsNumber });
        [...asNumber.entries()];
      },
      error: CodecError,
      names: ["hash map 'counts': value: u64AsNumber: ", '9007199254740997'],
      cause: CodecError,
    },
    {
      what: 'a value the value codec refuses, in a setBatch',
      act: () => {
        using m = counts();
        m.setBatch([1, 2], [1n, -2n]);
      },
      error: CodecError,
      names: ["hash map 'counts': values[1]: ", '-2n is not a u64'],
      cause: CodecError,
    },
    {
      what: 'a value the value codec refuses, written to a memory-mapped array',
      act: () => {
        using a = ArrayMap.create({ value: u32, maxEntries: 4, name: 'slots', mmapable: true });
        using mapped = a.mmap();
        mapped.set(0, 1.5);
      },
      error: CodecError,
      names: ["array map 'slots': value: ", '1.5 is not a u32'],
      cause: CodecError,
    },
    {
      what: "a key that is not a codec (the string 'u32', untyped caller)",
      act: () =>
        HashMap.create({ key: 'u32' as unknown as Codec<number>, value: u64, maxEntries: 1, name: 'm' }),
      error: CodecError,
      names: ["hash map 'm': key: is the string 'u32', not a codec"],
    },
    {
      what: 'a key codec whose size is not the keySize given (the map is named)',
      act: () =>
        BpfMap.create({
          type: BpfMapType.HASH,
          key: u32,
          keySize: 8,
          value: u64,
          maxEntries: 1,
          name: 'by_pid',
        }),
      error: CodecError,
      names: ["hash map 'by_pid': key: codec u32 is 4 bytes but keySize is 8"],
    },
    {
      what: "codecs that do not fit a map opened by fd (a clang object's u32-keyed map read with u64 keys)",
      act: () => {
        using made = HashMap.create({ key: u32, value: u64, maxEntries: 1, name: 'opens' });
        BpfMap.fromFd(dupFd(made.fd), { key: u64, value: u64 });
      },
      error: CodecError,
      names: [/^hash map 'opens': key: codec u64 is 8 bytes but keySize is 4$/],
    },
    {
      what: 'a per-CPU map opened by fd with a value codec of the wrong size',
      act: () => {
        using made = PerCpuArrayMap.create({ value: u64, maxEntries: 1, name: 'pkts' });
        BpfMap.fromFd(dupFd(made.fd), { value: perCpu(u32) });
      },
      error: CodecError,
      names: ["percpu_array map 'pkts': value: per-CPU element codec u32 is 4 bytes but valueSize is 8"],
    },
    {
      what: 'a value that is not a codec (an object without read and write, untyped caller)',
      act: () => HashMap.create({ key: u32, value: { size: 8 } as unknown as Codec<bigint>, maxEntries: 1 }),
      error: CodecError,
      names: ['value: is an object without read(), write() and a size, not a codec'],
    },
  ]);
});
