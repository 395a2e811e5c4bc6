import { existsSync, rmSync } from 'node:fs';
import { ArrayMap, BpfMap, HashMap, MapType, u32, u64 } from '@ts-ebpf/maps';
import { ensureBpffs, stopHelperThreads } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import {
  loadCollection,
  loadCollectionAsync,
  loadCollectionSpec,
  MapReplacementError,
  NameNotFoundError,
  SpecEditError,
} from '../src/index.js';
import { compileSource } from './compile.js';

// Programs that write into a map the caller may replace, one pinned by name, and a .bss variable.
const SOURCE = `
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
struct { __uint(type, 2); __uint(max_entries, 4); __type(key, u32); __type(value, u64); } shared SEC(".maps");
struct { __uint(type, 1); __uint(max_entries, 8); __type(key, u32); __type(value, u64); __uint(pinning, 1); } pinned SEC(".maps");
u64 runs;
SEC("xdp") int write_shared(void *ctx) {
  u32 k = 1;
  u64 v = 42;
  bpf_map_update_elem(&shared, &k, &v, 0);
  runs++;
  return 2;
}
SEC("xdp") int write_pinned(void *ctx) {
  u32 k = 3;
  u64 v = 7;
  bpf_map_update_elem(&pinned, &k, &v, 0);
  return 2;
}
char LICENSE[] SEC("license") = "GPL";
`;

let bytes: Buffer;
let n = 0;
const packet = { data: new Uint8Array(64) };

/** A pin root under bpffs that does not exist yet (removed after the test). */
function freshRoot(): string {
  const root = `/sys/fs/bpf/ts-ebpf-elf-replace-${process.pid}-${n++}`;
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** A map of `shared`'s shape, the caller's. */
const sharedShaped = () => ArrayMap.create({ value: u64, maxEntries: 4 });

describeKernel('map replacements (cilium MapReplacements, libbpf bpf_map__reuse_fd)', () => {
  beforeAll(() => {
    ensureBpffs();
    bytes = compileSource('replace', SOURCE);
  });
  afterAll(() => stopHelperThreads());

  it('options.mapReplacements: the programs write into the caller’s map, which outlives the collection', () => {
    using mine = sharedShaped();
    const fds = openFds();
    {
      using c = loadCollection(bytes, {
        mapReplacements: { shared: mine },
        programs: ['write_shared'],
        pinRoot: freshRoot(),
      });
      expect(c.program('write_shared').testRun(packet).retval).toBe(2);
      // collection.map() is a view of the same kernel map, through its own descriptor.
      expect(c.map('shared').info().id).toBe(mine.info().id);
      expect(c.map('shared').fd).not.toBe(mine.fd);
    }
    expect(leakedFds(fds)).toEqual([]);
    // Read through the caller's own map object, after the collection closed.
    expect(mine.get(1)).toBe(42n);
  });

  it('spec.adjust.map(name).reuse(map) does the same on the spec', () => {
    using mine = sharedShaped();
    const spec = loadCollectionSpec(bytes);
    spec.adjust.map('shared').reuse(mine);
    using c = loadCollection(spec, { programs: ['write_shared'], pinRoot: freshRoot() });
    c.program('write_shared').testRun(packet);
    expect(mine.get(1)).toBe(42n);
  });

  it('loadCollectionAsync takes them too', async () => {
    using mine = sharedShaped();
    using c = await loadCollectionAsync(bytes, {
      mapReplacements: { shared: mine },
      programs: ['write_shared'],
      pinRoot: freshRoot(),
    });
    c.program('write_shared').testRun(packet);
    expect(mine.get(1)).toBe(42n);
  });

  it('a map of another shape is refused before anything is created, listing every difference', () => {
    using other = HashMap.create({ key: u32, value: u32, maxEntries: 8 });
    const pinRoot = freshRoot();
    const fds = openFds();
    const e = thrownBy(() => loadCollection(bytes, { mapReplacements: { shared: other }, pinRoot }));
    expect(e).toBeInstanceOf(MapReplacementError);
    const error = e as MapReplacementError;
    expect(error.map).toBe('shared');
    expect(error.mismatches.map((m) => m.property)).toEqual(['type', 'valueSize', 'maxEntries']);
    expect(error.message).toMatch(
      /^map 'shared': the replacement, hash map (.* )?\(id \d+\), does not match/,
    );
    expect(error.message).toContain('valueSize 4 (object: 8)');
    expect(error.message).toContain('maxEntries 8 (object: 4)');
    // Not even the pinned-by-name map was created and pinned.
    expect(existsSync(pinRoot)).toBe(false);
    expect(leakedFds(fds)).toEqual([]);
  });

  it('the comparison is with the definition as edited', () => {
    using bigger = ArrayMap.create({ value: u64, maxEntries: 16 });
    expect(() =>
      loadCollection(bytes, { mapReplacements: { shared: bigger }, pinRoot: freshRoot() }),
    ).toThrow(/maxEntries 16 \(object: 4\)/);
    const spec = loadCollectionSpec(bytes);
    spec.adjust.map('shared').setMaxEntries(16);
    using c = loadCollection(spec, {
      mapReplacements: { shared: bigger },
      programs: ['write_shared'],
      pinRoot: freshRoot(),
    });
    expect(c.map('shared').info().id).toBe(bigger.info().id);
  });

  it('names that are no map of the object, data sections, and things that are no maps are refused', () => {
    using mine = sharedShaped();
    const unknown = thrownBy(() => loadCollection(bytes, { mapReplacements: { shraed: mine } }));
    expect(unknown).toBeInstanceOf(NameNotFoundError);
    expect((unknown as Error).message).toMatch(/no map 'shraed' .*; did you mean 'shared'\?$/);
    expect(() => loadCollection(bytes, { mapReplacements: { '.bss': mine } })).toThrow(
      /map '\.bss': mapReplacements names a data section's map/,
    );
    expect(() => loadCollection(bytes, { mapReplacements: { shared: { fd: 1_000_000 } } })).toThrow(
      /map 'shared': mapReplacements fd 1000000 is not open, not a map/,
    );
    using c = loadCollection(bytes, { programs: ['write_shared'], pinRoot: freshRoot() });
    const spec = loadCollectionSpec(bytes);
    expect(() => spec.adjust.map('shared').reuse(c.program('write_shared'))).toThrow(SpecEditError);
    expect(() => spec.adjust.map('shared').reuse(c.program('write_shared'))).toThrow(/program, not a map/);
    expect(() => spec.adjust.map('.bss').reuse(mine)).toThrow(/map '\.bss': reuse cannot be changed/);
    // Given twice: by the spec and by the options.
    spec.adjust.map('shared').reuse(mine);
    expect(() => loadCollection(spec, { mapReplacements: { shared: mine } })).toThrow(
      /map 'shared': mapReplacements names a map given a replacement already/,
    );
  });

  it('pinning: a replaced map pinned by name is neither pinned nor taken from its pin (the replacement wins)', () => {
    const pinRoot = freshRoot();
    using mine = HashMap.create({ key: u32, value: u64, maxEntries: 8 });
    {
      using c = loadCollection(bytes, {
        mapReplacements: { pinned: mine },
        pinRoot,
        programs: ['write_pinned'],
      });
      expect(c.createdPins).toEqual([]);
      expect(existsSync(`${pinRoot}/pinned`)).toBe(false);
      c.program('write_pinned').testRun(packet);
    }
    expect(mine.get(3)).toBe(7n);
    // A map pinned at the path already is left alone too.
    using before = BpfMap.create({
      type: MapType.HASH,
      key: u32,
      value: u64,
      maxEntries: 8,
      pinning: { path: `${pinRoot}/pinned` },
    });
    using other = HashMap.create({ key: u32, value: u64, maxEntries: 8 });
    using c = loadCollection(bytes, {
      mapReplacements: { pinned: other },
      pinRoot,
      programs: ['write_pinned'],
    });
    c.program('write_pinned').testRun(packet);
    expect(other.get(3)).toBe(7n);
    expect(before.get(3)).toBeUndefined();
    // An explicit pin path and a replacement contradict each other.
    const spec = loadCollectionSpec(bytes);
    spec.adjust.map('pinned').setPinPath(`${pinRoot}/elsewhere`);
    expect(() => loadCollection(spec, { mapReplacements: { pinned: other } })).toThrow(
      /map 'pinned': reuse \(a replacement map, .*\) is given, and pinPath is set/,
    );
    expect(() => spec.adjust.map('pinned').reuse(other)).toThrow(SpecEditError);
  });
});
