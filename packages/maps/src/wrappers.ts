import { BpfMapCreateFlag, possibleCpuCount } from '@ts-ebpf/syscall';
import type { Codec } from './codecs/codec.js';
import { perCpu } from './codecs/per-cpu.js';
import { u32, u64 } from './codecs/scalars.js';
import { socketValue } from './codecs/socket.js';
import { array } from './codecs/struct.js';
import { BpfMap } from './map.js';
import type { MapBtf, MapPinning, MapTokenOption } from './map-spec.js';
import { MapType } from './map-types.js';

/** Options every typed constructor accepts. */
export interface CommonOptions extends MapTokenOption {
  maxEntries: number;
  /** Extra `BPF_F_*` flags. */
  flags?: number;
  name?: string;
  numaNode?: number;
  pinning?: MapPinning;
  btf?: MapBtf;
}

/** Options of key/value maps. */
export interface KeyValueOptions<K, V> extends CommonOptions {
  key: Codec<K>;
  value: Codec<V>;
}

/** Options of array-indexed maps (keys are u32 indexes). */
export interface ArrayOptions<V> extends CommonOptions {
  value: Codec<V>;
}

/** Options of `ArrayMap.create`. */
export interface ArrayMapOptions<V> extends ArrayOptions<V> {
  /**
   * Create the array with `BPF_F_MMAPABLE`, so that `map.mmap()` reads and writes its values
   * through a memory mapping, with no system call per access.
   */
  mmapable?: boolean;
}

function keyValue(type: number) {
  return {
    /** Creates the map. */
    create<K, V>(o: KeyValueOptions<K, V>): BpfMap<K, V> {
      return BpfMap.create<K, V>({ ...o, type });
    },
  };
}

function perCpuKeyValue(type: number) {
  return {
    /** Creates the map; values are read as one `V` per possible CPU. */
    create<K, V>(o: KeyValueOptions<K, V>): BpfMap<K, V[]> {
      return BpfMap.create<K, V[]>({ ...o, value: perCpu(o.value), type });
    },
  };
}

/** `BPF_MAP_TYPE_HASH`. */
export const HashMap = keyValue(MapType.HASH);
/** `BPF_MAP_TYPE_LRU_HASH`. */
export const LruHashMap = keyValue(MapType.LRU_HASH);
/** `BPF_MAP_TYPE_PERCPU_HASH`: values are arrays with one entry per possible CPU. */
export const PerCpuHashMap = perCpuKeyValue(MapType.PERCPU_HASH);
/** `BPF_MAP_TYPE_LRU_PERCPU_HASH`. */
export const LruPerCpuHashMap = perCpuKeyValue(MapType.LRU_PERCPU_HASH);

/** `BPF_MAP_TYPE_ARRAY`: u32 index → V. */
export const ArrayMap = {
  /** Creates the array. */
  create<V>(o: ArrayMapOptions<V>): BpfMap<number, V> {
    const { mmapable, ...rest } = o;
    const flags = (o.flags ?? 0) | (mmapable ? BpfMapCreateFlag.MMAPABLE : 0);
    return BpfMap.create<number, V>({ ...rest, flags, key: u32, type: MapType.ARRAY });
  },
};

/** `BPF_MAP_TYPE_PERCPU_ARRAY`: u32 index → one V per possible CPU. */
export const PerCpuArrayMap = {
  /** Creates the array. */
  create<V>(o: ArrayOptions<V>): BpfMap<number, V[]> {
    return BpfMap.create<number, V[]>({ ...o, key: u32, value: perCpu(o.value), type: MapType.PERCPU_ARRAY });
  },
};

function fdArray(type: number, defaultEntries?: () => number, value: Codec<number> = u32) {
  return {
    /**
     * Creates the map. Values are written as fds (or ifindexes / queue sizes for devmap and
     * cpumap) and read back as kernel ids where the kernel allows reading.
     */
    create(o: Partial<CommonOptions> = {}): BpfMap<number, number> {
      const maxEntries = o.maxEntries ?? defaultEntries?.() ?? 1;
      return BpfMap.create<number, number>({ ...o, maxEntries, key: u32, value, type });
    },
  };
}

/** `BPF_MAP_TYPE_PROG_ARRAY`: index → program fd (tail calls); reads give program ids. */
export const ProgArray = fdArray(MapType.PROG_ARRAY);
/** `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: CPU → perf event fd (default one slot per possible CPU). */
export const PerfEventArray = fdArray(MapType.PERF_EVENT_ARRAY, possibleCpuCount);
/** `BPF_MAP_TYPE_CGROUP_ARRAY`: index → cgroup directory fd. */
export const CgroupArray = fdArray(MapType.CGROUP_ARRAY);
/** `BPF_MAP_TYPE_DEVMAP`: index → ifindex. */
export const DevMap = fdArray(MapType.DEVMAP);
/** `BPF_MAP_TYPE_CPUMAP`: CPU → queue size (default one slot per possible CPU). */
export const CpuMap = fdArray(MapType.CPUMAP, possibleCpuCount);
/** `BPF_MAP_TYPE_XSKMAP`: queue index → AF_XDP socket fd. */
export const XskMap = fdArray(MapType.XSKMAP);
/** `BPF_MAP_TYPE_SOCKMAP`: index → socket fd; reads give the socket's cookie (see {@link socketValue}). */
export const SockMap = fdArray(MapType.SOCKMAP, undefined, socketValue);
/**
 * `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`: index → fd of a bound socket with `SO_REUSEPORT`; reads
 * give the socket's cookie.
 */
export const ReuseportSockArray = fdArray(MapType.REUSEPORT_SOCKARRAY, undefined, socketValue);

/** `BPF_MAP_TYPE_DEVMAP_HASH`: K → ifindex. */
export const DevMapHash = {
  /** Creates the map. */
  create<K>(o: CommonOptions & { key: Codec<K> }): BpfMap<K, number> {
    return BpfMap.create<K, number>({ ...o, value: u32, type: MapType.DEVMAP_HASH });
  },
};

/** `BPF_MAP_TYPE_SOCKHASH`: K → socket fd; reads give the socket's cookie. */
export const SockHash = {
  /** Creates the map. */
  create<K>(o: CommonOptions & { key: Codec<K> }): BpfMap<K, number> {
    return BpfMap.create<K, number>({ ...o, value: socketValue, type: MapType.SOCKHASH });
  },
};

/** `BPF_MAP_TYPE_STACK_TRACE`: stack id → `depth` instruction pointers. */
export const StackTraceMap = {
  /** Creates the map (default depth 127, the kernel's limit). */
  create(o: CommonOptions & { depth?: number }): BpfMap<number, bigint[]> {
    return BpfMap.create<number, bigint[]>({
      ...o,
      key: u32,
      value: array(u64, o.depth ?? 127),
      type: MapType.STACK_TRACE,
    });
  },
};

/** `BPF_MAP_TYPE_RINGBUF` (read it with `RingBuffer`); `maxEntries` is the data size, a power-of-2 multiple of the page size. */
export const RingBufMap = {
  /** Creates the map. */
  create(o: CommonOptions): BpfMap<never, never> {
    return BpfMap.create<never, never>({ ...o, type: MapType.RINGBUF });
  },
};

/** `BPF_MAP_TYPE_USER_RINGBUF` (write it with `UserRingBuffer`). */
export const UserRingBufMap = {
  /** Creates the map. */
  create(o: CommonOptions): BpfMap<never, never> {
    return BpfMap.create<never, never>({ ...o, type: MapType.USER_RINGBUF });
  },
};

/** `BPF_MAP_TYPE_ARENA`: `maxEntries` pages of memory shared with programs (created mmapable). */
export const ArenaMap = {
  /** Creates the arena (`BPF_F_MMAPABLE` is always set). */
  create(o: CommonOptions & { mapExtra?: bigint | number }): BpfMap<never, never> {
    return BpfMap.create<never, never>({
      ...o,
      flags: (o.flags ?? 0) | BpfMapCreateFlag.MMAPABLE,
      type: MapType.ARENA,
    });
  },
};

/** Flag for maps that must not preallocate (LPM tries, local storage). */
export const NO_PREALLOC = BpfMapCreateFlag.NO_PREALLOC;
