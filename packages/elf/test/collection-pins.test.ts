import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfMap, MapType, PinnedMapMismatchError, u32, u64 } from '@ts-ebpf/maps';
import { ensureBpffs, stopHelperThreads } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import {
  CollectionVerifierError,
  loadCollection,
  loadCollectionAsync,
  MapCreateError,
} from '../src/index.js';

// Two maps pinned by name, a program that loads and one the verifier rejects.
const SOURCE = `
typedef unsigned int u32;
typedef unsigned long long u64;
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
struct { __uint(type, 2); __uint(max_entries, 1); __type(key, u32); __type(value, u64); __uint(pinning, 1); } first SEC(".maps");
struct { __uint(type, 1); __uint(max_entries, 4); __type(key, u32); __type(value, u64); __uint(pinning, 1); } second SEC(".maps");
SEC("xdp") int ok(void *ctx) {
  u32 key = 0;
  u64 *a = bpf_map_lookup_elem(&first, &key), *b = bpf_map_lookup_elem(&second, &key);
  return a && b ? 2 : 1;
}
SEC("xdp") int bad(void *ctx) {
  u32 key = 0;
  u64 *v = bpf_map_lookup_elem(&first, &key);
  return v ? (int)v[3] : 2; /* out of bounds: the value is one u64 */
}
char LICENSE[] SEC("license") = "GPL";
`;

let dir = '';
let bytes: Buffer;
let n = 0;

/** A pin root under bpffs that does not exist yet (removed after the test). */
function freshRoot(): string {
  const root = `/sys/fs/bpf/ts-ebpf-elf-pins-${process.pid}-${n++}`;
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** A map pinned at `path` before the load, of `first`'s shape (reusable) or another (not). */
function pinBefore(path: string, type: number): BpfMap<number, bigint> {
  const map = BpfMap.create({ type, key: u32, value: u64, maxEntries: 1, pinning: { path } });
  map.set(0, 7n);
  return map;
}

describeKernel('loadCollection: the pins a load makes', () => {
  beforeAll(() => {
    ensureBpffs();
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-pins-'));
    writeFileSync(join(dir, 'pins.bpf.c'), SOURCE);
    compileBpfC(join(dir, 'pins.bpf.c'), join(dir, 'pins.bpf.o'));
    bytes = readFileSync(join(dir, 'pins.bpf.o'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // loadCollectionAsync keeps its helper threads (and their descriptors) for the next load.
  afterAll(() => stopHelperThreads());

  it('lists the pins it made, not those it reused; they outlive close()', () => {
    const pinRoot = freshRoot();
    {
      using c = loadCollection(bytes, { pinRoot, programs: ['ok'] });
      expect(c.createdPins).toEqual([`${pinRoot}/first`, `${pinRoot}/second`]);
    }
    expect(existsSync(`${pinRoot}/first`) && existsSync(`${pinRoot}/second`)).toBe(true);
    using again = loadCollection(bytes, { pinRoot, programs: ['ok'] });
    expect(again.createdPins).toEqual([]);
  });

  it('a verifier rejection removes the pins and the pin root the load made', () => {
    const pinRoot = freshRoot();
    const fds = openFds();
    expect(thrownBy(() => loadCollection(bytes, { pinRoot }))).toBeInstanceOf(CollectionVerifierError);
    expect(existsSync(pinRoot)).toBe(false);
    expect(leakedFds(fds)).toEqual([]);
  });

  it('loadCollectionAsync too', async () => {
    const pinRoot = freshRoot();
    await expect(loadCollectionAsync(bytes, { pinRoot })).rejects.toThrow(CollectionVerifierError);
    expect(existsSync(pinRoot)).toBe(false);
  });

  it('a failure keeps a pin the load reused', () => {
    const pinRoot = freshRoot();
    using reused = pinBefore(`${pinRoot}/first`, MapType.ARRAY);
    expect(thrownBy(() => loadCollection(bytes, { pinRoot }))).toBeInstanceOf(CollectionVerifierError);
    using after = BpfMap.fromPin(`${pinRoot}/first`, { key: u32, value: u64 });
    expect(after.info().id).toBe(reused.info().id);
    expect(after.get(0)).toBe(7n);
    expect(existsSync(`${pinRoot}/second`)).toBe(false);
  });

  it('a map that cannot be made removes the pins made before it, not the pin in its way', () => {
    const pinRoot = freshRoot();
    // Not the map `second` describes: a hash map cannot reuse an array's pin.
    using inTheWay = pinBefore(`${pinRoot}/second`, MapType.ARRAY);
    const e = thrownBy(() => loadCollection(bytes, { pinRoot, programs: ['ok'] }));
    expect(e).toBeInstanceOf(MapCreateError);
    expect((e as MapCreateError).cause).toBeInstanceOf(PinnedMapMismatchError);
    expect(existsSync(`${pinRoot}/first`)).toBe(false);
    using still = BpfMap.fromPin(`${pinRoot}/second`);
    expect(still.info().id).toBe(inTheWay.info().id);
  });
});
