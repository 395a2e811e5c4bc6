import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Btf, BtfBuilder, dumpC, resolveType } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { clangCheck, compileBpf, kernelBtf, VMLINUX_PATH } from './helpers.js';

describe('C dump', () => {
  it('dumps all of vmlinux as a header that clang-19 -target bpf compiles', () => {
    const btf = kernelBtf();
    const header = dumpC(btf);
    expect(header).toContain('#ifndef __VMLINUX_H__');
    expect(header).toMatch(/struct task_struct \{/);
    if (process.env.BTF_DUMP_OUT) writeFileSync(process.env.BTF_DUMP_OUT, header);
    clangCheck(`${header}\nint probe(struct __sk_buff *skb) { return skb->len; }\n`);
  });
});

function usesVaList(btf: Btf, id: number): boolean {
  const t = resolveType(btf, id, { typedefs: false });
  if (t.kind === 'typedef') return t.name === '__builtin_va_list' || usesVaList(btf, t.type);
  if (t.kind === 'array') return usesVaList(btf, t.type);
  return false;
}

/** Lines of a C header as a multiset, leaving out blank lines, forward declarations and closing braces. */
function lineCounts(header: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of header.split('\n')) {
    if (
      !line.trim() ||
      /^(struct|union) \w+;$/.test(line) ||
      /^}( __attribute__\(\(packed\)\))?;$/.test(line)
    )
      continue;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return counts;
}

describe('C dump compared with bpftool', () => {
  it('prints the same declarations as bpftool btf dump … format c', () => {
    const ours = lineCounts(dumpC(kernelBtf()));
    const theirs = lineCounts(
      execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_PATH, 'format', 'c'], {
        maxBuffer: 1 << 30,
        encoding: 'utf8',
      }),
    );
    const differ: string[] = [];
    for (const [line, n] of ours) if (theirs.get(line) !== n) differ.push(`ours ${n}× ${line}`);
    for (const [line, n] of theirs) if (ours.get(line) !== n) differ.push(`bpftool ${n}× ${line}`);
    // only the order of forward declarations and `packed` on 1- and 2-byte enums may differ
    expect(differ).toEqual([]);
  });
});

describe('C dump layout', () => {
  it('reproduces the size and member offsets of every uniquely named struct and union', () => {
    const btf = kernelBtf();
    const header = dumpC(btf);
    const asserts: string[] = [];
    for (const t of btf.types()) {
      if ((t.kind !== 'struct' && t.kind !== 'union') || !t.name) continue;
      const sameName = ['struct', 'union', 'enum', 'enum64'] as const;
      if (sameName.reduce((n, k) => n + btf.findIds(t.name, k).length, 0) !== 1) continue;
      // __builtin_va_list is 24 bytes on x86-64 but a pointer for BPF (bpftool's header has the same gap)
      if (t.members.some((m) => usesVaList(btf, m.type))) continue;
      const ty = `${t.kind} ${t.name}`;
      asserts.push(`_Static_assert(sizeof(${ty}) == ${t.size}, "size of ${ty}");`);
      for (const m of t.members) {
        if (!m.name || m.bitfieldSize) continue;
        asserts.push(
          `_Static_assert(__builtin_offsetof(${ty}, ${m.name}) == ${m.bitOffset / 8}, "${ty}.${m.name}");`,
        );
      }
    }
    expect(asserts.length).toBeGreaterThan(50_000);
    clangCheck(`${header}\n${asserts.join('\n')}\n`);
  });
});

describe('C dump of built types', () => {
  it('prints qualifiers, type tags, function pointers, arrays and anonymous members so clang agrees', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const char = b.int('char', 1, { char: true });
    const task = b.struct('task', []);
    const rcuTask = b.ptr(b.typeTag('rcu', task));
    const cstr = b.ptr(b.const(char));
    const constPtr = b.const(b.ptr(int));
    const fnPtr = b.ptr(
      b.funcProto(int, [
        { name: '', type: b.ptr(task) },
        { name: '', type: 0 },
      ]),
    );
    const matrix = b.array(b.array(b.volatile(int), 3), 2);
    const anon = b.union('', [
      { name: 'as_int', type: int },
      { name: 'as_bytes', type: b.array(char, 4) },
    ]);
    const cb = b.typedef('cb_t', fnPtr);
    const ptrToArray = b.ptr(b.array(int, 4));
    b.setMembers(task, [
      { name: 'parent', type: rcuTask },
      { name: 'name', type: cstr },
      { name: 'fixed', type: constPtr },
      { name: 'fn', type: fnPtr },
      { name: 'm', type: matrix },
      { name: '', type: anon },
      { name: 'cb', type: cb },
      { name: 'rows', type: ptrToArray },
      { name: 'tail', type: char },
    ]);
    const e = b.enum('', { TASK_A: 1, TASK_B: 2 });
    b.var('unused', e);
    const fn = b.func('run', b.funcProto(int, [{ name: 't', type: b.ptr(task) }]));
    const btf = b.build();
    const c = dumpC(btf, [fn, task]);
    expect(c).toContain('struct task __attribute__((btf_type_tag("rcu"))) *parent;');
    expect(c).toContain('const char *name;');
    expect(c).toContain('int * const fixed;');
    expect(c).toContain('int (*fn)(struct task *, ...);');
    expect(c).toContain('volatile int m[2][3];');
    expect(c).toContain('int (*rows)[4];');
    expect(c).toMatch(/union \{\n\t\tint as_int;\n\t\tchar as_bytes\[4\];\n\t\};/);
    const task2 = btf.get('task', 'struct');
    const offsets = task2.members
      .filter((m) => m.name)
      .map(
        (m) =>
          `_Static_assert(__builtin_offsetof(struct task, ${m.name}) == ${m.bitOffset / 8}, "${m.name}");`,
      );
    clangCheck(
      `${c}\n_Static_assert(sizeof(struct task) == ${task2.size}, "size");\n${offsets.join('\n')}\n`,
    );
  });

  it('renames distinct types that share a name, as bpftool does', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const a1 = b.struct('dup', [{ name: 'x', type: int }]);
    const a2 = b.struct('dup', [{ name: 'y', type: int }]);
    b.typedef('dup_t', a1);
    b.typedef('dup_t', a2);
    b.enum('', { VALUE: 1 });
    b.enum('other', { VALUE: 2 });
    const btf = b.build();
    const c = dumpC(btf);
    expect(c).toContain('struct dup___2 {');
    expect(c).toContain('typedef struct dup___2 dup_t___2;');
    expect(c).toContain('VALUE___2 = 2,');
    clangCheck(`${c}\nint f(dup_t *a, dup_t___2 *b) { return a->x + b->y + VALUE + VALUE___2; }\n`);
  });
});

/** The kinds and names from a pointer member's type down to its base type: `type_tag b`, `const`. */
function chain(btf: Btf, struct: string, member: string): string[] {
  const m = btf.get(struct, 'struct').members.find((x) => x.name === member)!;
  const out: string[] = [];
  for (
    let t = btf.type(m.type);
    t.kind !== 'int' && t.kind !== 'void';
    t = btf.type((t as { type: number }).type)
  ) {
    out.push(t.name ? `${t.kind} ${t.name}` : t.kind);
  }
  return out;
}

describe('C dump read back by clang', () => {
  it('keeps the order of several type tags on one pointer', () => {
    const source = `
#define __a __attribute__((btf_type_tag("a")))
#define __b __attribute__((btf_type_tag("b")))
struct tagged { int __a __b *two; const int __b *qualified; };
__attribute__((section("xdp"), used)) int prog(struct tagged *t) { return *t->two + *t->qualified; }
`;
    const first = Btf.parse(compileBpf(source).btf);
    const dumped = dumpC(first, [first.get('tagged', 'struct').id]);
    const again = Btf.parse(
      compileBpf(`${dumped}
__attribute__((section("xdp"), used)) int prog(struct tagged *t) { return *t->two; }
`).btf,
    );
    for (const member of ['two', 'qualified']) {
      expect(chain(again, 'tagged', member)).toEqual(chain(first, 'tagged', member));
    }
    expect(chain(first, 'tagged', 'two')).toEqual(['ptr', 'type_tag b', 'type_tag a']);
  });
});

describe('C dump of enums whose size C would choose otherwise', () => {
  it('keeps every enum size and the layout around it', () => {
    const b = new BtfBuilder();
    const char = b.int('char', 1, { char: true });
    const enums = [
      b.enum('small_in_two', { A2: 1 }, { size: 2 }), // values fit a byte: packed alone would give 1
      b.enum('byte', { B1: 200 }, { size: 1 }), // packed gives 1 (unsigned char)
      b.enum('two_full', { U2: 0xffff }, { size: 2 }), // packed gives 2 (unsigned short)
      b.enum('wide32', { W8: 1 }, { size: 8 }), // a 4-byte int range in 8 bytes (old pahole)
      b.enum64('wide64', { X8: 1n }), // an enum64 whose values fit 32 bits
      b.enum64('huge', { H8: 0xffff_ffff_ffffn }), // C gives it 8 bytes by itself
      b.enum('plain', { P4: -1 }), // 4 bytes by itself
    ];
    const members = enums.flatMap((e, i) => [
      { name: `c${i}`, type: char },
      { name: `e${i}`, type: e },
    ]);
    const holder = b.struct('holder', members);
    const btf = b.build();
    const c = dumpC(btf, [holder]);
    const asserts = enums.map((e) => {
      const t = btf.type(e) as { name: string; size: number };
      return `_Static_assert(sizeof(enum ${t.name}) == ${t.size}, "${t.name}");`;
    });
    const h = btf.get('holder', 'struct');
    for (const m of h.members) {
      asserts.push(
        `_Static_assert(__builtin_offsetof(struct holder, ${m.name}) == ${m.bitOffset / 8}, "${m.name}");`,
      );
    }
    asserts.push(`_Static_assert(sizeof(struct holder) == ${h.size}, "holder");`);
    clangCheck(`${c}\n${asserts.join('\n')}\n`);
  });
});
