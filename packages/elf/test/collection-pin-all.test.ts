import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfMap, MapType, u32, u64 } from '@ts-ebpf/maps';
import { Program } from '@ts-ebpf/programs';
import { ensureBpffs, ObjectClosedError, PinPathError } from '@ts-ebpf/syscall';
import { bpffsTestDir, compileBpfC, describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { beforeAll, expect, it, onTestFinished } from 'vitest';
import { CollectionPinError, loadCollection } from '../src/index.js';

// Collection-wide pinning (libbpf's bpf_object__pin_maps / pin_programs / unpin_maps): every
// map or program at <dir>/<name>, all or nothing.

// Two named maps, a .bss and a .rodata variable, two programs.
const SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } first SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } second SEC(".maps");
__u64 hits = 0;
const volatile __u32 answer = 42;
SEC("xdp") int one(void *ctx) {
  __u32 key = 0;
  hits++;
  return bpf_map_lookup_elem(&first, &key) && bpf_map_lookup_elem(&second, &key) ? answer : 1;
}
SEC("xdp") int two(void *ctx) { return 2; }
char LICENSE[] SEC("license") = "GPL";
`;

let bytes: Buffer;
const freshDir = () => bpffsTestDir('ts-ebpf-pin-all');

describeKernel('Collection.pinMaps / pinPrograms and their unpin counterparts', () => {
  beforeAll(() => {
    ensureBpffs();
    const src = join(import.meta.dirname, '.pin-all.bpf.c');
    writeFileSync(src, SOURCE);
    const out = `${src}.o`;
    try {
      compileBpfC(src, out);
      bytes = readFileSync(out);
    } finally {
      rmSync(src, { force: true });
      rmSync(out, { force: true });
    }
  });

  it('pinMaps pins every map at <dir>/<name> (dots of data sections made underscores); unpinMaps removes them', () => {
    const dir = freshDir();
    using c = loadCollection(bytes);
    const fds = openFds();
    expect(c.pinMaps(dir)).toEqual(['first', 'second', '_bss', '_rodata'].map((f) => `${dir}/${f}`));
    expect(readdirSync(dir).sort()).toEqual(['_bss', '_rodata', 'first', 'second']);
    const maps = [...c.maps.values(), c.dataMaps.get('.bss')!, c.dataMaps.get('.rodata')!];
    c.pinMaps(dir).forEach((path, i) => {
      using pinned = BpfMap.fromPin(path);
      expect(pinned.info().id).toBe(maps[i]!.info().id);
    });
    // Pinned again above: every path held its map already, and was left as it is.
    expect(c.unpinMaps(dir)).toHaveLength(4);
    expect(readdirSync(dir)).toEqual([]);
    expect(c.unpinMaps(dir)).toEqual([]); // nothing left to remove
    expect(leakedFds(fds)).toEqual([]);
  });

  it('pinPrograms pins every loaded program at <dir>/<function name>; unpinPrograms removes them', () => {
    const dir = freshDir();
    using c = loadCollection(bytes);
    expect(c.pinPrograms(dir)).toEqual([`${dir}/one`, `${dir}/two`]);
    using pinned = Program.fromPin(`${dir}/two`);
    expect(pinned.info().id).toBe(c.program('two').info().id);
    expect(pinned.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(c.unpinPrograms(dir)).toEqual([`${dir}/one`, `${dir}/two`]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a path something else is pinned at, before pinning anything', () => {
    const dir = freshDir();
    using c = loadCollection(bytes);
    using other = BpfMap.create({ type: MapType.ARRAY, key: u32, value: u64, maxEntries: 1 });
    other.pin(`${dir}/second`);
    const e = thrownBy(() => c.pinMaps(dir));
    expect(e).toBeInstanceOf(CollectionPinError);
    expect(e).toMatchObject({ kind: 'map', object: 'second', path: `${dir}/second` });
    expect((e as Error).message).toMatch(/something else is there already/);
    expect(readdirSync(dir)).toEqual(['second']);
    // Nor does unpinMaps remove another object's pin.
    expect(thrownBy(() => c.unpinMaps(dir))).toMatchObject({ object: 'second' });
    expect(readdirSync(dir)).toEqual(['second']);
  });

  it('a pin that fails part way removes the pins made before it, and the directory made for them', () => {
    const dir = freshDir();
    using c = loadCollection(bytes);
    c.map('second').close(); // pinning it fails: its descriptor is gone
    const e = thrownBy(() => c.pinMaps(`${dir}/deeper`));
    expect(e).toBeInstanceOf(CollectionPinError);
    expect(e).toMatchObject({ object: 'second', path: `${dir}/deeper/second` });
    expect((e as Error).cause).toBeInstanceOf(ObjectClosedError);
    expect(existsSync(dir)).toBe(false); // first's pin, deeper/ and dir/ were removed
  });

  it('pins only on bpffs', () => {
    using c = loadCollection(bytes);
    const dir = join(import.meta.dirname, '.not-bpffs');
    mkdirSync(dir, { recursive: true });
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const e = thrownBy(() => c.pinPrograms(dir));
    expect(e).toMatchObject({ kind: 'program', object: 'one', path: `${dir}/one` });
    expect((e as Error).cause).toBeInstanceOf(PinPathError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses two objects that would share a path, before pinning anything', () => {
    const dir = freshDir();
    // A map named _bss, and the .bss section's map, which is pinned as _bss too.
    const clash = join(import.meta.dirname, '.pin-clash.bpf.c');
    writeFileSync(
      clash,
      `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } _bss SEC(".maps");
__u64 hits = 0;
SEC("xdp") int count(void *ctx) { __u32 k = 0; hits++; return bpf_map_lookup_elem(&_bss, &k) ? 2 : 1; }
char LICENSE[] SEC("license") = "GPL";
`,
    );
    onTestFinished(() => rmSync(clash, { force: true }));
    onTestFinished(() => rmSync(`${clash}.o`, { force: true }));
    compileBpfC(clash, `${clash}.o`);
    using c = loadCollection(readFileSync(`${clash}.o`));
    const e = thrownBy(() => c.pinMaps(dir));
    expect(e).toBeInstanceOf(CollectionPinError);
    expect(e).toMatchObject({ object: '.bss', path: `${dir}/_bss` });
    expect((e as Error).message).toMatch(/map '_bss' is pinned at the same path/);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses after close()', () => {
    const c = loadCollection(bytes);
    c.close();
    expect(() => c.pinMaps(freshDir())).toThrow(ObjectClosedError);
  });
});
