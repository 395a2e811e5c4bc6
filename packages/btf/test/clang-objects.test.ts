import { Btf, type BtfType, btfExtLayout, dumpC, fieldPath, parseBtfExt, sizeOf } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { clangCheck, compileBpf } from './helpers.js';

const SOURCE = `
typedef unsigned int u32;
typedef unsigned long long u64;
enum state { IDLE = 0, BUSY = 5, GONE = -3 };
enum wide { W_BIG = 0x123456789ULL };
struct pkt;
struct flags { u32 a: 3, b: 13; unsigned char c; };
struct item {
  u64 key;
  const volatile u32 *vp;
  struct item *next;
  union { u32 word; unsigned char bytes[4]; } u;
  struct flags f;
  enum state st;
  enum wide w;
  struct pkt *opaque;
  float ratio;
  int (*cb)(struct item *, int);
  char name[16];
} __attribute__((preserve_access_index));

struct item global_item;
u32 counter = 7;
static int hidden __attribute__((used));

__attribute__((section("xdp"), used))
int prog(struct item *it) {
  if (__builtin_preserve_field_info(it->f.b, 2)) counter += it->u.word;
  return it->next->st + it->name[2] + (it->w == W_BIG);
}
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
`;

function byName(btf: Btf, kind: BtfType['kind'], name: string): BtfType {
  return btf.get(name, kind);
}

describe.each(['bpf', 'bpfel', 'bpfeb'])('BTF from clang-19 -target %s', (target) => {
  const { btf: raw, ext: extRaw } = compileBpf(SOURCE, target);
  const btf = Btf.parse(raw);

  it('has the byte order of the target', () => {
    expect(btf.byteOrder).toBe(target === 'bpfeb' ? 'big' : 'little');
  });

  it('matches the C source', () => {
    const item = byName(btf, 'struct', 'item');
    expect(item.kind === 'struct' && item.members.map((m) => m.name)).toEqual([
      'key',
      'vp',
      'next',
      'u',
      'f',
      'st',
      'w',
      'opaque',
      'ratio',
      'cb',
      'name',
    ]);
    expect(sizeOf(btf, item.id)).toBe(88);
    expect(fieldPath(btf, 'item.f.b')).toMatchObject({ bitOffset: 28 * 8 + 3, bitSize: 13, bitfield: true });
    expect(fieldPath(btf, 'item.u.bytes[2]')).toMatchObject({ byteOffset: 26, size: 1 });
    expect(fieldPath(btf, 'item.name[2]')).toMatchObject({ byteOffset: 72 + 2 });
    expect(fieldPath(btf, 'item.next->st')).toMatchObject({ byteOffset: 32, size: 4, derefs: [16] });
    const st = btf.get('state', 'enum');
    expect(st.values.map((v) => [v.name, v.value])).toEqual([
      ['IDLE', 0],
      ['BUSY', 5],
      ['GONE', -3],
    ]);
    expect(st.signed).toBe(true);
    expect(btf.get('wide', 'enum64').values[0]!.value).toBe(0x123456789n);
    expect(btf.get('pkt', 'fwd').fwdKind).toBe('struct');
    expect(btf.get('float', 'float').size).toBe(4);
    const prog = btf.get('prog', 'func');
    expect(prog.linkage).toBe('global');
    const proto = btf.type(prog.type);
    expect(proto.kind === 'func_proto' && proto.params.map((p) => p.name)).toEqual(['it']);
    const data = btf.get('.data', 'datasec');
    expect(data.vars.map((v) => btf.nameOf(v.type))).toContain('counter');
    expect(btf.get('counter', 'var').linkage).toBe('global');
    const vp = fieldPath(btf, 'item.vp');
    const kinds: string[] = [];
    for (
      let t = btf.type(btf.type(vp.type).kind === 'ptr' ? (btf.type(vp.type) as { type: number }).type : 0);
      t.kind !== 'typedef';
      t = btf.type((t as { type: number }).type)
    )
      kinds.push(t.kind);
    expect(kinds.sort()).toEqual(['const', 'volatile']);
  });

  it('parses .BTF.ext func_info, line_info and CO-RE relocations', () => {
    const ext = parseBtfExt(extRaw, btf);
    expect(ext.byteOrder).toBe(btf.byteOrder);
    expect(ext.funcInfo).toEqual([
      { section: 'xdp', records: [{ insnOff: 0, typeId: btf.get('prog', 'func').id }] },
    ]);
    const lines = ext.lineInfo[0]!;
    expect(lines.section).toBe('xdp');
    expect(lines.records.length).toBeGreaterThan(2);
    expect(lines.records[0]!.fileName).toMatch(/prog\.c$/);
    expect(lines.records.some((r) => r.line.includes('__builtin_preserve_field_info'))).toBe(true);
    const relos = ext.coreRelos[0]!.records;
    expect(relos.some((r) => r.kind === 'field_exists' && r.accessString === '0:4:1')).toBe(true);
    expect(relos.some((r) => r.kind === 'field_byte_offset')).toBe(true);
    for (const r of relos) expect(btf.type(r.typeId).kind).not.toBe('void');
  });

  it('lays out .BTF.ext records where parseBtfExt decodes them, at any byteOffset', () => {
    const ext = parseBtfExt(extRaw, btf);
    // The same bytes 3 bytes into a larger buffer: offsets stay relative to the view.
    const shifted = new Uint8Array(extRaw.byteLength + 3).subarray(3);
    shifted.set(extRaw);
    const layout = btfExtLayout(shifted, btf);
    expect(layout.byteOrder).toBe(btf.byteOrder);
    const le = btf.byteOrder === 'little';
    const view = new DataView(shifted.buffer, shifted.byteOffset, shifted.byteLength);
    for (const kind of ['funcInfo', 'lineInfo', 'coreRelos'] as const) {
      expect(layout[kind].map((s) => [s.section, s.count])).toEqual(
        ext[kind].map((s) => [s.section, s.records.length]),
      );
      layout[kind].forEach((span, i) => {
        expect(span.recordSize).toBe(kind === 'funcInfo' ? 8 : 16);
        const insnOffs = ext[kind][i]!.records.map((r) => r.insnOff);
        const read = Array.from({ length: span.count }, (_, r) =>
          view.getUint32(span.offset + r * span.recordSize, le),
        );
        expect(read).toEqual(insnOffs);
      });
    }
    expect(() => btfExtLayout(extRaw.subarray(0, 30), btf)).toThrow(/BTF\.ext/);
  });

  it('dumps back to C that compiles', () => {
    const c = dumpC(btf, [btf.get('item').id], { header: '__ITEM_H__' });
    expect(c).toContain('struct item {');
    clangCheck(`${c}\n_Static_assert(sizeof(struct item) == 88, "item");\n`);
  });
});
