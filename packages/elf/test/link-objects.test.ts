import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, parseBtfExt } from '@ts-ebpf/btf';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LinkError, linkObjects, loadCollection, loadCollectionSpec } from '../src/index.js';
import { compileIn } from './compile.js';

const HEADER = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n';

// The program: calls a global function of LIB, reads LIB's .data global; its own `seen` is static.
const PROG = `${HEADER}
extern int bump(__u32 by);
extern __u32 lib_total;
const volatile __u32 factor = 3;
__u32 last = 1;
static __u32 seen = 10; // .data: LIB's .data comes after PROG's
struct node { struct node *next; __u32 value; } prog_list; // a type on a cycle, in both objects
SEC("xdp") int entry(struct xdp_md *ctx)
{
  seen++;
  last = bump(factor) + lib_total + seen;
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

// The library: a global (non-static, noinline) function updating its map, reading PROG's const volatile.
const LIB = `${HEADER}
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } totals SEC(".maps");
extern const volatile __u32 factor;
__u32 lib_total = 7;
static __u32 seen = 100;
struct node { struct node *next; __u32 value; } lib_list;
__noinline int bump(__u32 by)
{
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&totals, &k);
  if (!v) return 0;
  *v += by * factor;
  seen++;
  return seen;
}
`;

const SHARED_MAP = (entries: number) =>
  `struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, ${entries}); __type(key, __u32); __type(value, __u64); } shared SEC(".maps") __weak;`;

const counter = (name: string, entries = 4) => `${HEADER}
${SHARED_MAP(entries)}
SEC("xdp") int ${name}(struct xdp_md *ctx)
{
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&shared, &k);
  if (v) __sync_fetch_and_add(v, 1);
  return XDP_PASS;
}
char LICENSE_${name}[] SEC("license") = "GPL";
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-link-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const compile = (name: string, source: string, target?: 'bpfel' | 'bpfeb') =>
  compileIn(dir, name, source, target);

const u64 = (b: Uint8Array | undefined) => new DataView(b!.buffer, b!.byteOffset).getBigUint64(0, true);
const key0 = new Uint8Array(4);

/** What linking throws, checked to be a LinkError. */
function linkError(objects: Uint8Array[], names?: string[]): LinkError {
  try {
    linkObjects(objects, { names });
  } catch (e) {
    expect(e).toBeInstanceOf(LinkError);
    return e as LinkError;
  }
  throw new Error('linked');
}

describeKernel('linkObjects', () => {
  it('links a program calling a global function of another object: one map, both objects’ globals, statics apart', () => {
    const before = openFds();
    const linked = linkObjects([compile('prog', PROG), compile('lib', LIB)]);
    {
      using c = loadCollection(linked);
      expect([...c.programs.keys()]).toEqual(['entry']);
      const entry = c.program('entry');
      expect(entry.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
      // bump: totals += 3 * 3, LIB's seen 101; lib_total 7; PROG's seen 11
      expect(u64(c.map('totals').get(key0))).toBe(9n);
      expect(c.variable('last').getBigInt()).toBe(119n);
      entry.testRun({ data: new Uint8Array(64) });
      expect(u64(c.map('totals').get(key0))).toBe(18n);
      expect(c.variable('last').getBigInt()).toBe(121n);
      expect(c.variable('lib_total').getBigInt()).toBe(7n);
    }
    // equal types of the two objects are merged (those on a cycle are not)
    const btf = Btf.parse(loadCollectionSpec(linked).btf!);
    expect(btf.findIds('unsigned int', 'int')).toHaveLength(1);
    expect(btf.findIds('xdp_md', 'struct')).toHaveLength(1);
    expect(btf.findIds('node', 'struct')).toHaveLength(2);
    expect(btf.findIds('.data', 'datasec')).toHaveLength(1);
    expect(leakedFds(before)).toEqual([]);
  });

  it('gives what bpftool gen object gives: the same programs, maps and test-run results', () => {
    const prog = compile('prog', PROG);
    const lib = compile('lib', LIB);
    execFileSync('bpftool', [
      'gen',
      'object',
      join(dir, 'oracle.o'),
      join(dir, 'prog.bpf.o'),
      join(dir, 'lib.bpf.o'),
    ]);
    const results = [linkObjects([prog, lib]), readFileSync(join(dir, 'oracle.o'))].map((bytes) => {
      using c = loadCollection(bytes);
      const runs = [0, 1, 2].map(() => {
        c.program('entry').testRun({ data: new Uint8Array(64) });
        return [c.variable('last').getBigInt(), u64(c.map('totals').get(key0))];
      });
      const spec = loadCollectionSpec(bytes);
      return {
        runs,
        programs: [...spec.programs.keys()],
        maps: spec.btfMapNames,
        data: [...spec.dataSections.keys()].sort(),
      };
    });
    expect(results[0]).toEqual(results[1]);
  });

  it('gives an object libbpf loads too (bpftool prog loadall), with the program tag ours has', () => {
    const linked = linkObjects([compile('prog', PROG), compile('lib', LIB)]);
    const file = join(dir, 'linked.o');
    writeFileSync(file, linked);
    const pins = `/sys/fs/bpf/ts-ebpf-link-objects-${process.pid}`;
    try {
      execFileSync('bpftool', ['prog', 'loadall', file, pins]);
      const info = JSON.parse(
        execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', `${pins}/entry`], { encoding: 'utf8' }),
      );
      using c = loadCollection(linked);
      expect(c.program('entry').info().tag).toBe(info.tag);
    } finally {
      rmSync(pins, { recursive: true, force: true });
    }
  });

  it('refuses two strong definitions of one name, naming both objects and the symbol; licenses must agree', () => {
    const one = compile('one', `${HEADER}__noinline int twice(int x) { return x + 1; }`);
    const two = compile('two', `${HEADER}__noinline int twice(int x) { return x + 2; }`);
    const e = linkError([one, two], ['one.o', 'two.o']);
    expect(e.symbol).toBe('twice');
    expect(e.objects).toEqual(['two.o', 'one.o']);
    expect(e.message).toMatch(/'twice' is defined in both one\.o and two\.o/);
    // each object's license is kept once, as libbpf does, if the objects agree on it
    const licensed = (name: string, license: string) =>
      compile(
        name,
        `${HEADER}SEC("xdp") int ${name}(void *ctx) { return XDP_PASS; }\nchar LICENSE[] SEC("license") = "${license}";\n`,
      );
    const gpl = licensed('gpl_a', 'GPL');
    const spec = loadCollectionSpec(linkObjects([gpl, licensed('gpl_b', 'GPL')]));
    expect(spec.license).toBe('GPL');
    expect(spec.elf.data(spec.elf.section('license')!)).toEqual(new TextEncoder().encode('GPL\0'));
    const clash = linkError([gpl, licensed('dual', 'Dual BSD/GPL')], ['gpl.o', 'dual.o']);
    expect(clash.message).toMatch(/section license of dual\.o differs from that of gpl\.o/);
  });

  it('makes one map of a __weak map both objects define alike, and refuses ones that differ', () => {
    const a = compile('count_a', counter('count_a'));
    const b = compile('count_b', counter('count_b'));
    using c = loadCollection(linkObjects([a, b]));
    expect(loadCollectionSpec(linkObjects([a, b])).btfMapNames).toEqual(['shared']);
    c.program('count_a').testRun({ data: new Uint8Array(64) });
    c.program('count_b').testRun({ data: new Uint8Array(64) });
    expect(u64(c.map('shared').get(key0))).toBe(2n); // both programs count in the one map

    const other = compile('count_c', counter('count_c', 8));
    const e = linkError([a, other], ['a.o', 'c.o']);
    expect(e.symbol).toBe('shared');
    expect(e.message).toMatch(
      /map 'shared' of c\.o does not match its definition in a\.o: max entries 8 vs 4/,
    );
  });

  it('resolves an extern map by the object that defines it, if the declaration matches', () => {
    const map = (entries: number) =>
      `struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, ${entries}); __type(key, __u32); __type(value, __u64); } totals SEC(".maps")`;
    const user = compile(
      'extern_user',
      `${HEADER}extern ${map(1)};
__u32 out;
SEC("xdp") int use_extern(struct xdp_md *ctx)
{
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&totals, &k);
  if (v) { *v += 5; out = *v; }
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`,
    );
    using c = loadCollection(linkObjects([user, compile('definer', `${HEADER}${map(1)};`)]));
    c.program('use_extern').testRun({ data: new Uint8Array(64) });
    expect(c.variable('out').getBigInt()).toBe(5n);
    expect(u64(c.map('totals').get(key0))).toBe(5n);
    const e = linkError([user, compile('other_definer', `${HEADER}${map(2)};`)], ['user.o', 'definer.o']);
    expect(e.message).toMatch(
      /map 'totals' of user\.o does not match its definition in definer\.o: max entries 1 vs 2/,
    );
  });

  it('takes subarrays at odd offsets, writes nothing into them, and gives the same bytes each time', () => {
    const prog = compile('prog', PROG);
    const lib = compile('lib', LIB);
    const at = (b: Uint8Array, offset: number) => {
      const host = new Uint8Array(b.length + offset + 5).fill(0xa5);
      host.set(b, offset);
      return host.subarray(offset, offset + b.length);
    };
    const a = at(prog, 3);
    const b = at(lib, 7);
    const copies = [new Uint8Array(a), new Uint8Array(b)];
    const first = linkObjects([a, b]);
    expect(linkObjects([a, b])).toEqual(first);
    expect(linkObjects([prog, lib])).toEqual(first);
    expect(a).toEqual(copies[0]);
    expect(b).toEqual(copies[1]);
  });

  it('links big-endian objects as it links little-endian ones', () => {
    // no system header: the other byte order's multiarch directory may be missing
    const plainProg = `#define SEC(name) __attribute__((section(name), used))
extern int bump(int by);
int prog_value = 3;
SEC("xdp") int entry(void *ctx) { return bump(prog_value); }
char LICENSE[] SEC("license") = "GPL";
`;
    const plainLib = `static int hidden = 100;
int lib_value = 4;
__attribute__((noinline)) int bump(int by) { hidden++; return by + lib_value + hidden; }
`;
    const read = (target: 'bpfel' | 'bpfeb') => {
      const bytes = linkObjects([
        compile(`prog_${target}`, plainProg, target),
        compile(`lib_${target}`, plainLib, target),
      ]);
      const spec = loadCollectionSpec(bytes);
      const btf = Btf.parse(spec.btf!);
      const ext = parseBtfExt(spec.btfExt!, btf);
      const { funcInfo, coreRelos } = ext;
      const lines = ext.lineInfo.map((s) => ({
        ...s,
        records: s.records.map((r) => [r.insnOff, r.line, r.lineNumber]),
      }));
      return {
        byteOrder: spec.byteOrder,
        programs: [...spec.programs.values()].map((p) => [p.name, p.instructions, p.references, p.origins]),
        data: [...spec.dataSections.values()].map((d) => [d.name, [...d.variables]]),
        types: [...btf.types()].map((t) => `${t.kind} ${t.name}`),
        ext: { funcInfo, coreRelos, lines },
      };
    };
    const little = read('bpfel');
    const big = read('bpfeb');
    expect([little.byteOrder, big.byteOrder]).toEqual(['little', 'big']);
    expect({ ...big, byteOrder: 'little' }).toEqual(little);
    expect(little.programs[0]![2]).toContainEqual(
      expect.objectContaining({ kind: 'data', section: '.data' }),
    );
  });

  it('refuses objects of two byte orders, and inputs that are no BPF objects', () => {
    const other = HOST_BYTE_ORDER === 'little' ? 'bpfeb' : 'bpfel';
    // (no system header: those of the other byte order's multiarch directory may be missing)
    const plain = 'int lib_total = 7;';
    const e = linkError([compile('prog', PROG), compile('lib_other', plain, other)], ['prog.o', 'lib.o']);
    expect(e.message).toMatch(/lib\.o is (big|little)-endian but prog\.o/);
    expect(linkError([new Uint8Array(10)]).objects).toEqual(['object #0']);
  });
});
