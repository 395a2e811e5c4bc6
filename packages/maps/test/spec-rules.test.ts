// The spec check's rules of each map type are the kernel's: it refuses what this kernel refuses
// (EINVAL), and takes what it takes; a local-storage map gets the BTF the kernel wants.
import { readFileSync } from 'node:fs';
import { BpfMapCreateFlag, btfLoad, close, fdTarget, mapCreate, pageSize, pidfdOpen } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  BpfMap,
  checkMapSpec,
  i32,
  type MapCreateRequest,
  MapSpecError,
  MapType,
  storageBtf,
  u64,
} from '../src/index.js';

const { NO_PREALLOC, STACK_BUILD_ID, RDONLY, ZERO_SEED, MMAPABLE, SEGV_ON_FAULT, NO_USER_CONV, NUMA_NODE } =
  BpfMapCreateFlag;
// The deepest stack a stack trace value holds on this machine (a value one frame deeper is refused).
const depth = Number(readFileSync('/proc/sys/kernel/perf_event_max_stack', 'utf8'));
type Request = Omit<MapCreateRequest, 'maxEntries' | 'flags'> & { maxEntries?: number; flags?: number };

// A sweep around each rule: sizes, entries and flags the type takes and some it does not.
const requests: Request[] = [
  ...[MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.STACK_TRACE].flatMap((type) =>
    [4, 8].map((keySize) => ({ type, keySize, valueSize: 8 })),
  ),
  ...[
    MapType.PROG_ARRAY,
    MapType.PERF_EVENT_ARRAY,
    MapType.CGROUP_ARRAY,
    MapType.XSKMAP,
    MapType.SOCKMAP,
    MapType.REUSEPORT_SOCKARRAY,
    MapType.DEVMAP,
    MapType.DEVMAP_HASH,
    MapType.CPUMAP,
  ].flatMap((type) =>
    [
      [4, 4],
      [4, 8],
      [4, 16],
      [8, 4],
    ].map(([keySize, valueSize]) => ({ type, keySize: keySize!, valueSize: valueSize! })),
  ),
  ...[4, 8, 16].map((valueSize) => ({ type: MapType.SOCKHASH, keySize: 8, valueSize })),
  ...[MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS].flatMap((type) =>
    [false, true].flatMap((hasInnerMap) =>
      [4, 8].map((valueSize) => ({ type, keySize: 4, valueSize, hasInnerMap })),
    ),
  ),
  ...[0, NO_PREALLOC].map((flags) => ({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, flags })),
  ...[MapType.TASK_STORAGE, MapType.SK_STORAGE, MapType.INODE_STORAGE, MapType.CGRP_STORAGE].flatMap(
    (type) => [
      { type, keySize: 4, valueSize: 8, maxEntries: 0, flags: NO_PREALLOC },
      { type, keySize: 4, valueSize: 8, maxEntries: 1, flags: NO_PREALLOC },
      { type, keySize: 8, valueSize: 8, maxEntries: 0, flags: NO_PREALLOC },
      { type, keySize: 4, valueSize: 8, maxEntries: 0, flags: 0 },
    ],
  ),
  ...[0, 4].map((maxEntries) => ({ type: MapType.CGROUP_STORAGE, keySize: 8, valueSize: 8, maxEntries })),
  ...[0, 8].map((valueSize) => ({ type: MapType.RINGBUF, keySize: 0, valueSize, maxEntries: 4096 })),
  { type: MapType.STRUCT_OPS, keySize: 4, valueSize: 8, maxEntries: 1, hasVmlinuxValueType: false },
  // stack traces: u64 frames (or 32-byte build-id frames), at most kernel.perf_event_max_stack
  ...[4, 8, 12, 16, 20, depth * 8, (depth + 1) * 8].map((valueSize) => ({
    type: MapType.STACK_TRACE,
    keySize: 4,
    valueSize,
  })),
  ...[8, 16, 24, 32, 48, 64, depth * 32, (depth + 1) * 32].map((valueSize) => ({
    type: MapType.STACK_TRACE,
    keySize: 4,
    valueSize,
    flags: STACK_BUILD_ID,
  })),
  ...[RDONLY, NO_PREALLOC, ZERO_SEED, MMAPABLE].map((flags) => ({
    type: MapType.STACK_TRACE,
    keySize: 4,
    valueSize: 16,
    flags,
  })),
  // the keyless types take keySize 0 only
  ...[MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER].flatMap((type) =>
    [0, 4].map((keySize) => ({ type, keySize, valueSize: 8 })),
  ),
  ...[MapType.RINGBUF, MapType.USER_RINGBUF].map((type) => ({
    type,
    keySize: 4,
    valueSize: 0,
    maxEntries: 4096,
  })),
];

const describeRequest = (r: Request) =>
  `${JSON.stringify(r)} (${Object.entries(MapType).find(([, v]) => v === r.type)?.[0]})`;

// What the spec check says of `r`: refused (a MapSpecError) or not.
function checkRefuses(r: MapCreateRequest): boolean {
  try {
    checkMapSpec('m', r);
    return false;
  } catch (e) {
    if (e instanceof MapSpecError) return true;
    throw e;
  }
}

// What this kernel says of `r`: refused with EINVAL, or created (and closed). Local storage gets
// key and value BTF, a map of maps an inner map when the request has one.
function kernelRefuses(
  r: MapCreateRequest,
  btf: { fd: number; keyTypeId: number; valueTypeId: number },
  inner: number,
): boolean {
  const storage: number[] = [
    MapType.TASK_STORAGE,
    MapType.SK_STORAGE,
    MapType.INODE_STORAGE,
    MapType.CGRP_STORAGE,
  ];
  try {
    const fd = mapCreate({
      mapType: r.type,
      keySize: r.keySize,
      valueSize: r.valueSize,
      maxEntries: r.maxEntries,
      mapFlags: r.flags,
      ...(r.hasInnerMap && { innerMapFd: inner }),
      ...(storage.includes(r.type) && {
        btfFd: btf.fd,
        btfKeyTypeId: btf.keyTypeId,
        btfValueTypeId: btf.valueTypeId,
      }),
    });
    close(fd);
    return false;
  } catch (e) {
    expect((e as { code?: string }).code, describeRequest(r)).toBe('EINVAL');
    return true;
  }
}

// Arenas by kernel/bpf/arena.c (arena_map_alloc), not by this kernel: it refuses every arena with
// EPERM (map_create's capability check) before arena_map_alloc looks at the request, so a sweep
// here could not tell a right rule from a wrong one.
describe('map spec rules of arenas, from the kernel source', () => {
  const page = pageSize();
  const most = 2 ** 32 / page;
  const arena = (o: Partial<MapCreateRequest>): MapCreateRequest => ({
    type: MapType.ARENA,
    keySize: 0,
    valueSize: 0,
    maxEntries: 2,
    flags: MMAPABLE,
    ...o,
  });
  const fieldRefused = (r: MapCreateRequest): string | undefined => {
    try {
      checkMapSpec('m', r);
      return undefined;
    } catch (e) {
      if (e instanceof MapSpecError) return e.field;
      throw e;
    }
  };

  it('takes an mmapable arena of up to 4 GiB, at a page-aligned address within one 4 GiB span', () => {
    for (const r of [
      arena({}),
      arena({ flags: MMAPABLE | SEGV_ON_FAULT | NO_USER_CONV }),
      arena({ maxEntries: most }),
      arena({ mapExtra: 2n ** 32n }),
      arena({ mapExtra: 2 ** 32 - page, maxEntries: 1 }),
      arena({ mapExtra: 0x7f00_0000_0000n, maxEntries: most }),
    ])
      expect(
        fieldRefused(r),
        JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      ).toBeUndefined();
  });

  it('refuses an arena without BPF_F_MMAPABLE, with other flags, keys, values, over 4 GiB or across a 4 GiB boundary', () => {
    const cases: [MapCreateRequest, string][] = [
      [arena({ flags: 0 }), 'flags'],
      [arena({ flags: SEGV_ON_FAULT }), 'flags'],
      [arena({ flags: MMAPABLE | NO_PREALLOC }), 'flags'],
      [arena({ flags: MMAPABLE | NUMA_NODE }), 'flags'],
      [arena({ flags: MMAPABLE | RDONLY }), 'flags'],
      [arena({ keySize: 4 }), 'keySize'],
      [arena({ valueSize: 8 }), 'valueSize'],
      [arena({ maxEntries: 0 }), 'maxEntries'],
      [arena({ maxEntries: most + 1 }), 'maxEntries'],
      [arena({ mapExtra: page + 1 }), 'mapExtra'],
      [arena({ mapExtra: 2 ** 32 - page, maxEntries: 2 }), 'mapExtra'],
      [arena({ mapExtra: 2n ** 32n, maxEntries: most + 1 }), 'maxEntries'],
    ];
    for (const [r, field] of cases)
      expect(
        fieldRefused(r),
        JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      ).toBe(field);
  });

  it('names the flags an arena does not take, and the one it needs', () => {
    expect(() =>
      checkMapSpec("arena map 'heap'", arena({ flags: MMAPABLE | NO_PREALLOC | (1 << 30) })),
    ).toThrow(
      /flags 0x40000401 hold BPF_F_NO_PREALLOC, 0x40000000: arena maps take only BPF_F_MMAPABLE, BPF_F_SEGV_ON_FAULT, BPF_F_NO_USER_CONV$/,
    );
    expect(() => checkMapSpec("arena map 'heap'", arena({ flags: 0 }))).toThrow(
      /flags 0x0 lack BPF_F_MMAPABLE/,
    );
  });
});

describeKernel('map spec rules: the kernel refuses what the check refuses, and only that', () => {
  it('every rule agrees with this kernel on a sweep of sizes, entries, flags and inner maps', () => {
    const blob = storageBtf(8);
    const btf = {
      fd: btfLoad({ btf: blob.btf, logSize: 0 }),
      keyTypeId: blob.keyTypeId,
      valueTypeId: blob.valueTypeId,
    };
    const inner = mapCreate({ mapType: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      const disagreements: string[] = [];
      for (const req of requests) {
        const r = { maxEntries: 4, flags: 0, ...req };
        const check = checkRefuses(r);
        if (check !== kernelRefuses(r, btf, inner))
          disagreements.push(
            `${describeRequest(req)}: the check ${check ? 'refuses' : 'takes'} it, the kernel does not`,
          );
      }
      expect(disagreements).toEqual([]);
      // the sweep has both kinds: a check that refused everything would agree only with refusals
      expect(requests.filter((r) => checkRefuses({ maxEntries: 4, flags: 0, ...r })).length).toBeGreaterThan(
        20,
      );
      expect(requests.filter((r) => !checkRefuses({ maxEntries: 4, flags: 0, ...r })).length).toBeGreaterThan(
        20,
      );
    } finally {
      close(inner);
      close(btf.fd);
    }
  });

  it('a local-storage map created without btf gets a generated one, closed once the map exists', () => {
    const before = openFds();
    const self = pidfdOpen(process.pid);
    try {
      using map = BpfMap.create({
        type: MapType.TASK_STORAGE,
        key: i32,
        value: u64,
        maxEntries: 0,
        flags: NO_PREALLOC,
        name: 'tasks',
      });
      expect(map.info()).toMatchObject({
        type: MapType.TASK_STORAGE,
        maxEntries: 0,
        keySize: 4,
        valueSize: 8,
      });
      expect(map.info().btfId).toBeGreaterThan(0);
      // the map is the one new BPF fd: the BTF loaded for it is closed
      expect(leakedFds(before).filter((l) => !l.startsWith(`${self} `))).toEqual([
        `${map.fd} -> ${fdTarget(map.fd)}`,
      ]);
      map.set(self, 7n);
      expect(map.get(self)).toBe(7n);
    } finally {
      close(self);
    }
    expect(leakedFds(before)).toEqual([]);
  });
});
