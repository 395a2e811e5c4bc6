import {
  BpfArgumentError,
  BpfSyscallError,
  InvalidArgumentError,
  NotFoundError,
  ObjectClosedError,
  OutOfBoundsError,
  PermissionError,
  pageSize,
  probeMapType,
} from '@ts-ebpf/syscall';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import {
  ArenaMap,
  ArrayMap,
  ArrayOfMaps,
  BloomFilter,
  BpfMap,
  bytes,
  HashMap,
  HashOfMaps,
  IndexOutOfRangeError,
  InnerMapMismatchError,
  ipv4,
  KeyExistsError,
  KeyNotFoundError,
  KeyOutOfRangeError,
  LpmTrie,
  MapCreateError,
  MapFrozenError,
  MapFullError,
  MapSpecError,
  MapType,
  MapTypeError,
  NotAMapError,
  OverwritablePerfBuffer,
  PerCpuArrayMap,
  PerfBuffer,
  PerfEventArray,
  QueueMap,
  ReaderClosedError,
  ReaderStateError,
  RingBuffer,
  RingBufMap,
  Update,
  UserRingBuffer,
  UserRingBufMap,
  u32,
  u64,
} from '../src/index.js';
import { counts } from './mistake-maps.js';
import { ringWithProducer, run } from './programs.js';

const page = pageSize();

// Runs `fn` with a producer on a fresh user ring buffer named 'requests'.
function withRequests(fn: (producer: UserRingBuffer) => void): void {
  using r = UserRingBufMap.create({ maxEntries: page, name: 'requests' });
  using producer = UserRingBuffer.open(r);
  fn(producer);
}

describeKernel('map mistakes (error catalog)', () => {
  catalog([
    // Specs the kernel would refuse, caught before asking it.
    {
      what: 'a hash map with maxEntries 0',
      act: () => HashMap.create({ key: u32, value: u32, maxEntries: 0, name: 'empty' }),
      error: MapSpecError,
      names: ["'empty'", 'maxEntries', 'is 0'],
    },
    {
      what: 'a map name the kernel cannot hold (over 15 characters)',
      act: () => HashMap.create({ key: u32, value: u32, maxEntries: 1, name: 'a-very-long-map-name' }),
      error: BpfArgumentError,
      names: ['invalid name', '"a-very-long-map-name"', 'at most 15 characters'],
    },
    {
      what: 'a hash map with a zero value size',
      act: () =>
        BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 0, maxEntries: 1, name: 'novalue' }),
      error: MapSpecError,
      names: ["'novalue'", 'valueSize', 'is 0'],
    },
    {
      what: 'a hash map with a zero key size',
      act: () =>
        BpfMap.create({ type: MapType.HASH, keySize: 0, valueSize: 4, maxEntries: 1, name: 'nokey' }),
      error: MapSpecError,
      names: ["'nokey'", 'keySize', 'is 0'],
    },
    {
      what: 'an array with a zero value size',
      act: () => BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 0, maxEntries: 4 }),
      error: MapSpecError,
      names: ['unnamed array map', 'valueSize'],
    },
    {
      what: 'a ring buffer of three pages (not a power of 2)',
      act: () => RingBufMap.create({ maxEntries: 3 * page, name: 'events' }),
      error: MapSpecError,
      names: ["ringbuf map 'events'", `${3 * page}`, 'power-of-2 multiple of the page size'],
    },
    {
      what: 'a ring buffer smaller than a page',
      act: () => RingBufMap.create({ maxEntries: 1024, name: 'tiny' }),
      error: MapSpecError,
      names: ["'tiny'", '1024', 'page size'],
    },
    {
      what: 'a user ring buffer of an odd size',
      act: () => UserRingBufMap.create({ maxEntries: page + 8, name: 'requests' }),
      error: MapSpecError,
      names: ["user_ringbuf map 'requests'", 'maxEntries'],
    },
    {
      what: 'a bloom filter with 16 hash functions',
      act: () => BloomFilter.create({ value: u32, maxEntries: 64, hashes: 16, name: 'seen' }),
      error: MapSpecError,
      names: ["bloom_filter map 'seen'", '16', 'at most 15'],
    },
    {
      what: 'an LPM trie whose key has no address bytes',
      act: () => LpmTrie.create({ addr: bytes(0), value: u32, maxEntries: 8, name: 'routes' }),
      error: MapSpecError,
      names: ["lpm_trie map 'routes'", 'keySize', 'address bytes'],
    },
    // The kernel's errno read in context.
    {
      what: 'an LPM prefix longer than the address',
      act: () => {
        using t = LpmTrie.create({ addr: ipv4, value: u32, maxEntries: 8, name: 'routes' });
        t.set({ prefixLen: 40, addr: '10.0.0.0' }, 1);
      },
      error: KeyOutOfRangeError,
      names: ["'routes'", 'prefixLen 40', '32-bit address'],
      cause: InvalidArgumentError,
    },
    {
      what: 'an array index past maxEntries',
      act: () => {
        using a = ArrayMap.create({ value: u32, maxEntries: 4, name: 'slots' });
        a.set(10, 1);
      },
      error: KeyOutOfRangeError,
      names: ["array map 'slots'", 'index 10', '4 entries'],
      cause: InvalidArgumentError,
    },
    {
      what: 'a new key in a full hash map',
      act: () => {
        using m = counts();
        m.set(1, 1n).set(2, 2n).set(3, 3n);
      },
      error: MapFullError,
      names: ["hash map 'counts'", 'is full', '2 entries'],
      cause: InvalidArgumentError,
    },
    {
      what: 'an insert-only update (Update.NOEXIST) of a key already present',
      act: () => {
        using m = counts();
        m.set(1, 1n).set(1, 2n, Update.NOEXIST);
      },
      error: KeyExistsError,
      names: ["hash map 'counts'", 'the key is present', 'NOEXIST'],
      cause: BpfSyscallError,
    },
    {
      what: 'a replace-only update (Update.EXIST) of a key that is absent',
      act: () => {
        using m = counts();
        m.set(7, 1n, Update.EXIST);
      },
      error: KeyNotFoundError,
      names: ["hash map 'counts'", 'the key is absent', 'EXIST'],
      cause: NotFoundError,
    },
    {
      what: 'a new key in a full unnamed hash map (named by type and id)',
      act: () => {
        using m = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
        m.set(1, 1).set(2, 2);
      },
      error: MapFullError,
      names: [/hash map \(id \d+\) is full/],
    },
    {
      what: 'a batch update past a full hash map',
      act: () => {
        using m = counts();
        m.setBatch([1, 2, 3], [1n, 2n, 3n]);
      },
      error: MapFullError,
      names: ["hash map 'counts'", 'is full', '2 entries'],
    },
    {
      what: 'a get of an array index past maxEntries (not undefined: every array holds 0..maxEntries-1)',
      act: () => {
        using a = ArrayMap.create({ value: u32, maxEntries: 4, name: 'slots' });
        a.get(4);
      },
      error: KeyOutOfRangeError,
      names: ["array map 'slots'", 'index 4 is out of range', '4 entries'],
    },
    {
      what: 'a get of a per-CPU array index past maxEntries',
      act: () => {
        using a = PerCpuArrayMap.create({ value: u32, maxEntries: 2, name: 'pc' });
        a.get(7);
      },
      error: KeyOutOfRangeError,
      names: ["percpu_array map 'pc'", 'index 7 is out of range'],
    },
    {
      what: 'a batch update of an array with an index past maxEntries',
      act: () => {
        using a = ArrayMap.create({ value: u32, maxEntries: 4, name: 'slots' });
        a.setBatch([0, 9], [1, 2]);
      },
      error: KeyOutOfRangeError,
      names: ["array map 'slots'", 'out of range', '4 entries'],
    },
    {
      what: 'a batch delete from a frozen map',
      act: () => {
        using m = counts();
        m.set(1, 1n);
        m.freeze();
        m.deleteBatch([1]);
      },
      error: MapFrozenError,
      names: ["'counts'", 'is frozen', 'delete'],
    },
    {
      what: 'a push onto a full queue',
      act: () => {
        using q = QueueMap.create({ value: u32, maxEntries: 2, name: 'jobs' });
        q.push(1);
        q.push(2);
        q.push(3);
      },
      error: MapFullError,
      names: ["queue map 'jobs'", 'is full', 'PUSH_OVERWRITE'],
    },
    {
      what: 'an update of a frozen map',
      act: () => {
        using m = counts();
        m.freeze();
        m.set(1, 1n);
      },
      error: MapFrozenError,
      names: ["'counts'", 'is frozen', 'update'],
      cause: PermissionError,
    },
    {
      what: 'a delete from a frozen map',
      act: () => {
        using m = counts();
        m.set(1, 1n);
        m.freeze();
        m.delete(1);
      },
      error: MapFrozenError,
      names: ["'counts'", 'is frozen', 'delete'],
    },
    {
      what: 'a delete from an array',
      act: () => {
        using a = ArrayMap.create({ value: u32, maxEntries: 4, name: 'slots' });
        a.delete(1);
      },
      error: MapTypeError,
      names: ['delete', "array map 'slots'", 'cannot be deleted'],
    },
    {
      what: 'an inner map of another type than the template',
      act: () => {
        using template = ArrayMap.create({ value: u32, maxEntries: 4, name: 'tmpl' });
        using outer = ArrayOfMaps.create({ inner: template, maxEntries: 2, name: 'outer' });
        using wrong = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'wrong' });
        outer.set(0, wrong);
      },
      error: InnerMapMismatchError,
      names: ["'outer'", "hash map 'wrong'", "array map 'tmpl'", 'type hash (template: array)'],
      cause: InvalidArgumentError,
    },
    {
      what: 'an inner map with another value size than the template',
      act: () => {
        using template = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'tmpl' });
        using outer = HashOfMaps.create({ inner: template, key: u32, maxEntries: 2, name: 'outer' });
        using wrong = HashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'wide' });
        outer.set(7, wrong);
      },
      error: InnerMapMismatchError,
      names: ["'wide'", "'tmpl'", 'valueSize 8 (template: 4)'],
    },
    {
      what: 'a hash map with a flag it does not take (kernel refuses the create)',
      act: () =>
        BpfMap.create({
          type: MapType.HASH,
          keySize: 8,
          valueSize: 4,
          maxEntries: 4,
          flags: 1 << 30,
          name: 'flagged',
        }),
      error: MapCreateError,
      names: ["hash map 'flagged'", 'failed to create', 'EINVAL', 'keySize 8', 'flags 0x40000000'],
      cause: InvalidArgumentError,
    },
    {
      what: 'a map type this kernel refuses outright (arena here)',
      act: () => ArenaMap.create({ maxEntries: 1, name: 'heap' }),
      error: MapCreateError,
      names: ["arena map 'heap'", 'failed to create', 'creates no arena map at all'],
      skip: () => (probeMapType(MapType.ARENA).supported ? 'this kernel creates arenas' : undefined),
    },
    {
      what: 'QueueMap.wrap of a hash map',
      act: () => {
        using m = counts();
        QueueMap.wrap(m as unknown as BpfMap<never, bigint>);
      },
      error: MapTypeError,
      names: ['QueueMap.wrap', "hash map 'counts'", 'not a queue or stack'],
    },
    {
      what: 'BloomFilter.wrap of a hash map',
      act: () => {
        using m = counts();
        BloomFilter.wrap(m as unknown as BpfMap<never, bigint>);
      },
      error: MapTypeError,
      names: ['BloomFilter.wrap', "hash map 'counts'", 'not a bloom filter'],
    },
    // Readers given the wrong map, or used the wrong way.
    {
      what: 'RingBuffer.open on a hash map',
      act: () => {
        using m = counts();
        RingBuffer.open(m);
      },
      error: MapTypeError,
      names: ['RingBuffer.open', "hash map 'counts'", 'not a ring buffer'],
    },
    {
      what: 'PerfBuffer.open on a ring buffer',
      act: () => {
        using r = RingBufMap.create({ maxEntries: page, name: 'events' });
        PerfBuffer.open(r);
      },
      error: MapTypeError,
      names: ['PerfBuffer.open', "ringbuf map 'events'", 'RingBuffer'],
    },
    {
      what: 'RingBuffer.open of an fd that is not open',
      act: () => RingBuffer.open({ fd: 9999 }),
      error: NotAMapError,
      names: ['fd 9999', 'is not an open file descriptor'],
    },
    {
      what: 'PerfBuffer.open of a CPU that is not online',
      act: () => {
        using events = PerfEventArray.create({ name: 'perf' });
        PerfBuffer.open(events, { cpus: [0, 9999] });
      },
      error: BpfArgumentError,
      names: ['cpus[1]', '9999', "perf_event_array map 'perf'", 'not an online CPU', 'online: 0'],
    },
    // a second event for one CPU would replace the first's slot in the map: the first gets nothing
    ...(['PerfBuffer', 'OverwritablePerfBuffer'] as const).map((reader) => ({
      what: `${reader}.open of a CPU given twice`,
      act: () => {
        using events = PerfEventArray.create({ name: 'perf' });
        (reader === 'PerfBuffer' ? PerfBuffer : OverwritablePerfBuffer).open(events, { cpus: [0, 0] });
      },
      error: BpfArgumentError,
      names: ['cpus[1]', "perf_event_array map 'perf'", 'given twice'],
    })),
    {
      what: 'UserRingBuffer.open on an array',
      act: () => {
        using a = ArrayMap.create({ value: u32, maxEntries: 1, name: 'slots' });
        UserRingBuffer.open(a);
      },
      error: MapTypeError,
      names: ['UserRingBuffer.open', "array map 'slots'"],
    },
    // fractions such as 0.5 have an integer log2 too: they must be refused as well
    ...[3, 0.5, 0.25, 0, -2, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 50 + 2].map((pages) => ({
      what: `a perf buffer of ${pages} pages per CPU (not a positive integer power of two)`,
      act: () => {
        using events = PerfEventArray.create({ name: 'perf' });
        PerfBuffer.open(events, { pages });
      },
      error: BpfArgumentError,
      names: ['pages', `${pages} for`, "perf_event_array map 'perf'", 'positive integer power of two'],
    })),
    {
      what: "a perf buffer of '2' pages per CPU (a string)",
      act: () => {
        using events = PerfEventArray.create({ name: 'perf' });
        PerfBuffer.open(events, { pages: '2' as unknown as number });
      },
      error: BpfArgumentError,
      names: ['pages', '"2" for', "perf_event_array map 'perf'"],
    },
    {
      what: 'a user ring buffer sample larger than the ring',
      act: () => withRequests((producer) => producer.reserve(page)),
      error: BpfArgumentError,
      names: [`${page}-byte sample`, "user_ringbuf map 'requests'"],
    },
    {
      what: 'a read inside a consume callback',
      act: () => {
        using p = ringWithProducer(16, page);
        using reader = RingBuffer.open(p.ring);
        run(p.prog, 1);
        reader.consume(() => reader.read());
      },
      error: ReaderStateError,
      names: ['ring buffer reader of ringbuf map', 'inside a consume callback'],
    },
    {
      what: 'a read while a cursor is held',
      act: () => {
        using r = RingBufMap.create({ maxEntries: page, name: 'events' });
        using reader = RingBuffer.open(r);
        reader.cursor();
        reader.read();
      },
      error: ReaderStateError,
      names: ["ring buffer reader of ringbuf map 'events'", 'commit()'],
    },
    {
      what: 'a read from a closed ring buffer reader',
      act: () => {
        using r = RingBufMap.create({ maxEntries: page, name: 'events' });
        const reader = RingBuffer.open(r);
        reader.close();
        reader.read();
      },
      error: ReaderClosedError,
      names: ["ring buffer reader of ringbuf map 'events'", 'is closed', 'RingBuffer.open'],
    },
    {
      what: 'a user ring buffer sample submitted twice',
      act: () =>
        withRequests((producer) => {
          const sample = producer.reserve(8)!;
          sample.submit();
          sample.submit();
        }),
      error: ReaderStateError,
      names: ["user ring buffer of user_ringbuf map 'requests'", 'already submitted', 'exactly once'],
    },
    {
      what: 'a user ring buffer sample discarded after its submit',
      act: () =>
        withRequests((producer) => {
          const sample = producer.reserve(8)!;
          sample.submit();
          sample.discard();
        }),
      error: ReaderStateError,
      names: ["'requests'", 'discard'],
    },
    {
      what: 'a reserve on a closed user ring buffer',
      act: () =>
        withRequests((producer) => {
          producer.close();
          producer.reserve(8);
        }),
      error: ReaderClosedError,
      names: ["'requests'", 'is closed', 'UserRingBuffer.open'],
    },
    {
      what: 'a map used after close',
      act: () => {
        const m = counts();
        m.close();
        m.get(1);
      },
      error: ObjectClosedError,
      names: ["hash map 'counts'", 'is closed'],
    },
    {
      what: 'a record read past its end',
      act: () => {
        using p = ringWithProducer(16, page);
        using reader = RingBuffer.open(p.ring);
        run(p.prog, 1);
        reader.consume((rec) => rec.getUint32(14));
      },
      error: OutOfBoundsError,
      names: ['record', 'read of 4 bytes at 14', 'outside its 16 bytes'],
    },
    {
      what: 'an index past the end of a memory-mapped array',
      act: () => {
        using m = ArrayMap.create({ value: u64, maxEntries: 4, mmapable: true, name: 'mapped' });
        using values = m.mmap();
        return values.get(4);
      },
      error: IndexOutOfRangeError,
      names: ["array map 'mapped'", 'index 4', '0..3'],
    },
    {
      what: 'mmap of an array created without BPF_F_MMAPABLE',
      act: () => {
        using m = ArrayMap.create({ value: u64, maxEntries: 4, name: 'plain' });
        return m.mmap();
      },
      error: MapTypeError,
      names: ['mmap', "array map 'plain'", 'BPF_F_MMAPABLE', 'mmapable: true'],
    },
    {
      what: 'a writable mmap of a frozen array',
      act: () => {
        using m = ArrayMap.create({ value: u64, maxEntries: 4, mmapable: true, name: 'frozen' });
        m.freeze();
        return m.mmap();
      },
      error: MapFrozenError,
      names: ["array map 'frozen'", 'frozen'],
    },
    {
      what: 'a write through a read-only mapping',
      act: () => {
        using m = ArrayMap.create({ value: u64, maxEntries: 4, mmapable: true, name: 'ro' });
        using values = m.mmap({ writable: false });
        values.set(0, 1n);
      },
      error: MapTypeError,
      names: ['set', "array map 'ro'", 'read-only'],
    },
    {
      what: 'setBatch with more keys than values',
      act: () => {
        using m = counts();
        m.setBatch([1, 2, 3], [10n, 20n]);
      },
      error: BpfArgumentError,
      names: ["hash map 'counts'", '3 keys but 2 values'],
    },
    {
      what: 'setBatch with more keys than values, on an unnamed map',
      act: () => {
        using m = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
        m.setBatch([1, 2], [10n]);
      },
      error: BpfArgumentError,
      names: [/setBatch on hash map \(id \d+\)/, '2 keys but 1 values'],
    },
  ]);
});
