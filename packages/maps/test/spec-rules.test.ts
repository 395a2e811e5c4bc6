// The spec check's rules of each map type are the kernel's: it refuses what this kernel refuses
// (EINVAL), and takes what it takes; a local-storage map gets the BTF the kernel wants.
import { BpfMapCreateFlag, btfLoad, close, fdTarget, mapCreate, pidfdOpen } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
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

const NO_PREALLOC = BpfMapCreateFlag.NO_PREALLOC;
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
