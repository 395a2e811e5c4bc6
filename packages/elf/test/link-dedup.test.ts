import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf, type BtfType } from '@ts-ebpf/btf';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { linkObjects, loadCollection, loadCollectionSpec } from '../src/index.js';
import { compileFixture, compileSource } from './compile.js';
import { linkError } from './link-error.js';

// fixtures/link-list-a.bpf.c and link-list-b.bpf.c: both declare `struct list_node` (a
// reference cycle) and `struct link_holder`; A forward-declares `struct link_opaque`, B defines it.
const a = compileFixture('link-list-a.bpf.c');
const b = compileFixture('link-list-b.bpf.c');

// (compileSource prepends u32, u64 and SEC)
const LIST = 'struct list_node { struct list_node *next; u32 value; };\n';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-link-dedup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The output's BTF. */
const btfOf = (linked: Uint8Array) => Btf.parse(loadCollectionSpec(linked).btf!);
/** How many types of `kind` named `name` it has. */
const count = (btf: Btf, name: string, kind: 'struct' | 'fwd') => btf.findIds(name, kind).length;

/** The types of `btf`, its DATASECs (last, in an order of their own) sorted by name. */
function typesOf(btf: Btf): BtfType[] {
  const types = [...btf.types()];
  const secs = types.filter((t) => t.kind === 'datasec').map((t) => t.id);
  const sorted = secs.map((id) => btf.type(id)).sort((x, y) => x.name.localeCompare(y.name));
  return types.map((t) => (t.kind === 'datasec' ? ({ ...sorted.shift()!, id: t.id } as BtfType) : t));
}

/** What `bpftool gen object` (libbpf's linker, which dedups with btf__dedup) makes of `objects`. */
function bpftoolLink(objects: Uint8Array[]): Buffer {
  const files = objects.map((o, i) => {
    const file = join(dir, `in${i}.o`);
    writeFileSync(file, o);
    return file;
  });
  execFileSync('bpftool', ['gen', 'object', join(dir, 'out.o'), ...files]);
  return readFileSync(join(dir, 'out.o'));
}

/** Runs `program` of the collection of `bytes` once and reads `variable`. */
function run(bytes: Uint8Array, program: string, variable: string): bigint {
  using c = loadCollection(bytes);
  expect(c.program(program).testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  return c.variable(variable).getBigInt();
}

describeKernel('linkObjects: merging BTF types', () => {
  it('keeps one copy of a self-referential struct both objects use, and resolves a forward declaration to its struct', () => {
    const before = openFds();
    const linked = linkObjects([a, b]);
    const btf = btfOf(linked);
    expect(count(btf, 'list_node', 'struct')).toBe(1);
    expect(count(btf, 'link_holder', 'struct')).toBe(1); // equal once A's `struct link_opaque *` is B's
    expect(count(btf, 'link_opaque', 'struct')).toBe(1);
    expect(count(btf, 'link_opaque', 'fwd')).toBe(0);
    expect(btf.findIds('link_flags', 'enum64')).toHaveLength(1); // values beyond 32 bits merge too
    const holder = btf.get('link_holder', 'struct');
    const opaque = btf.type(holder.members[0]!.type);
    expect(opaque.kind === 'ptr' && btf.type(opaque.type)).toMatchObject({
      kind: 'struct',
      name: 'link_opaque',
    });
    // the kernel loads it: A's program calls B's list_total, which overrides A's __weak one
    expect(run(linked, 'list_a', 'result_a')).toBe(71n);
    expect(run(linked, 'list_b', 'result_b')).toBe(40n);
    expect(run(a, 'list_a', 'result_a')).toBe(7n);
    expect(leakedFds(before)).toEqual([]);
  });

  it('gives the types bpftool gen object gives, type for type (data sections by name), whichever object comes first', () => {
    for (const objects of [
      [a, b],
      [b, a],
    ]) {
      const ours = typesOf(btfOf(linkObjects(objects)));
      const theirs = typesOf(Btf.parse(loadCollectionSpec(bpftoolLink(objects)).btf!));
      expect(ours.length).toBe(theirs.length);
      expect(ours).toEqual(theirs);
    }
  });

  it("gives the guide's example the types bpftool gives (placed apart: an extern's definition where it is defined)", () => {
    const objects = ['link-counter', 'link-lib'].map((name) => {
      const out = join(dir, `${name}.bpf.o`);
      compileBpfC(new URL(`../../../examples/bpf/${name}.bpf.c`, import.meta.url).pathname, out);
      return readFileSync(out);
    });
    // bpftool's BTF puts the FUNC of `count` where link-counter.bpf.c declares it
    const kindsAndNames = (btf: Btf) => [...btf.types()].map((t) => `${t.kind} ${t.name}`).sort();
    const ours = kindsAndNames(btfOf(linkObjects(objects)));
    expect(ours).toEqual(kindsAndNames(Btf.parse(loadCollectionSpec(bpftoolLink(objects)).btf!)));
    expect(ours.filter((t) => t === 'func_proto ')).toHaveLength(2); // the extern's, named, merged
  });

  it('leaves a forward declaration as it is when two different structs of its name are defined', () => {
    const other = compileSource(
      'other_opaque',
      `struct link_opaque { char tag; };
struct link_opaque opaque_c;
u32 result_c;
SEC("xdp") int other_c(void *ctx) { result_c = ++opaque_c.tag; return 2; }
`,
    );
    const linked = linkObjects([a, b, other]);
    const btf = btfOf(linked);
    expect(count(btf, 'link_opaque', 'struct')).toBe(2);
    expect(count(btf, 'link_opaque', 'fwd')).toBe(1); // A's: which struct it meant cannot be told
    expect(count(btf, 'link_holder', 'struct')).toBe(2); // A's (holding the declaration) and B's
    expect(count(btf, 'list_node', 'struct')).toBe(1);
    expect(run(linked, 'list_a', 'result_a')).toBe(71n);
    expect(run(linked, 'other_c', 'result_c')).toBe(1n);
  });

  it('refuses an extern function whose return or parameter types differ from its definition’s', () => {
    const caller = (decl: string) =>
      compileSource(
        'caller',
        `${LIST}struct link_opaque;
${decl};
u32 called;
SEC("xdp") int call_total(void *ctx)
{
  struct list_node n = { 0, 3 };
  called = list_total((void *)&n);
  return 2;
}
char LICENSE[] SEC("license") = "GPL";
`,
      );
    const names = ['caller.o', 'b.o'];
    const ret = linkError([caller('extern long list_total(struct list_node *head)'), b], names);
    expect(ret.message).toBe(
      "'list_total' of caller.o does not match its definition in b.o: return type long vs int",
    );
    expect([ret.symbol, ret.objects]).toEqual(['list_total', names]);
    const param = linkError([caller('extern int list_total(struct link_opaque *head)'), b], names);
    expect(param.message).toMatch(
      /'list_total' of caller\.o does not match its definition in b\.o: parameter 1 is struct link_opaque \* vs struct list_node \*/,
    );
    // typedefs and qualifiers are looked through, parameter names ignored, as libbpf does
    const fits = caller('typedef struct list_node node_t;\nextern int list_total(const node_t *p)');
    expect(run(linkObjects([fits, b]), 'call_total', 'called')).toBe(30n);
  });

  it('refuses an extern variable whose type differs, and a __weak function whose prototype differs', () => {
    const reader = compileSource(
      'reader',
      `extern u64 result_b;
u64 seen;
SEC("xdp") int read_b(void *ctx) { seen = result_b; return 2; }
`,
    );
    const v = linkError([reader, b], ['reader.o', 'b.o']);
    expect(v.message).toBe("'result_b' of reader.o does not match its definition in b.o: type u64 vs __u32");
    expect(v.symbol).toBe('result_b');
    const strong = compileSource(
      'strong',
      `${LIST}__attribute__((noinline)) int list_total(struct list_node *head, int extra) { return extra; }
SEC("xdp") int use_strong(void *ctx) { struct list_node n = { 0, 1 }; return list_total(&n, 2); }
`,
    );
    expect(linkError([a, strong], ['a.o', 'strong.o']).message).toMatch(
      /'list_total' of a\.o does not match its definition in strong\.o: int \(struct list_node \*\) vs int \(struct list_node \*, int\) \(1 parameter vs 2\)/,
    );
  });
});
