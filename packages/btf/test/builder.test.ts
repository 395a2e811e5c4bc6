import { alignOf, Btf, BtfBuilder, BtfError, dumpC, fieldPath, sizeOf } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { clangCheck, kernelBtf } from './helpers.js';
import { sampleBuilder } from './sample.js';

describe('BtfBuilder', () => {
  it('lays structs out as C does', () => {
    const btf = sampleBuilder().build();
    const node = btf.get('node', 'struct');
    const offs = Object.fromEntries(node.members.map((m) => [m.name, m.bitOffset]));
    expect(offs).toEqual({
      next: 0,
      value: 64,
      mac: 96,
      flags: 144,
      kind: 147,
      total: 192,
      ok: 256,
      ratio: 320,
      color: 384,
      big: 448,
    });
    expect(node.size).toBe(64);
    expect(alignOf(btf, node.id)).toBe(8);
    expect(sizeOf(btf, btf.get('either', 'union').id)).toBe(8);
  });

  it('round-trips every kind through serialize and parse', () => {
    const b = sampleBuilder();
    const btf = b.build();
    expect(btf.typeCount).toBe(b.nextId);
    b.types.forEach((spec, i) => {
      expect(btf.type(i + 1)).toEqual({ ...spec, id: i + 1 });
    });
    const e64 = btf.get('big', 'enum64');
    expect(e64.values[0]!.value).toBe(0xffff_ffff_ffffn);
    const color = btf.get('color', 'enum');
    expect(color.signed).toBe(true);
    expect(color.values.find((v) => v.name === 'NEG')!.value).toBe(-1);
  });

  it('deduplicates strings', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    b.struct('a', [{ name: 'x', type: int }]);
    b.struct('b', [{ name: 'x', type: int }]);
    b.typedef('a_t', int);
    const bytes = b.toBytes();
    const strLen = new DataView(bytes.buffer).getUint32(20, true);
    expect(strLen).toBe(['', 'int', 'a', 'x', 'b', 'a_t'].reduce((n, s) => n + s.length + 1, 0));
  });

  it('writes and parses big-endian BTF', () => {
    const b = sampleBuilder();
    const be = b.toBytes({ byteOrder: 'big' });
    expect([be[0], be[1]]).toEqual([0xeb, 0x9f]);
    const btf = Btf.parse(be);
    expect(btf.byteOrder).toBe('big');
    const le = b.build();
    for (let id = 1; id < le.typeCount; id++) expect(btf.type(id)).toEqual(le.type(id));
    expect(fieldPath(btf, 'node.kind')).toMatchObject({ bitOffset: 147, bitSize: 5, signed: true });
  });

  it('re-encodes parsed vmlinux BTF to equal types', () => {
    const vmlinux = kernelBtf();
    const specs = [];
    for (const t of vmlinux.types()) {
      const { id: _id, ...spec } = t;
      specs.push(spec);
    }
    const b = new BtfBuilder();
    for (const s of specs) b.add(s as never);
    const again = b.build();
    expect(again.typeCount).toBe(vmlinux.typeCount);
    for (let id = 1; id < vmlinux.typeCount; id += 37) expect(again.type(id)).toEqual(vmlinux.type(id));
    expect(again.bytes.byteLength).toBeLessThanOrEqual(vmlinux.bytes.byteLength);
  });

  it('builds split BTF on top of a base', () => {
    const vmlinux = kernelBtf();
    const b = new BtfBuilder(vmlinux);
    const task = vmlinux.get('task_struct', 'struct');
    const first = b.ptr(task.id);
    expect(first).toBe(vmlinux.typeCount);
    const s = b.struct('my_module_state', [
      { name: 'task', type: first },
      { name: 'pid', type: vmlinux.get('pid_t', 'typedef').id },
    ]);
    const split = Btf.parse(b.toBytes(), { base: vmlinux });
    expect(split.firstId).toBe(vmlinux.typeCount);
    expect(split.get('my_module_state', 'struct').id).toBe(s);
    expect(split.get('task_struct', 'struct').id).toBe(task.id);
    expect(split.type(s)).toMatchObject({
      size: 16,
      members: [{ name: 'task' }, { name: 'pid', bitOffset: 64 }],
    });
    expect(fieldPath(split, 'my_module_state.task->pid')).toMatchObject({ size: 4, signed: true });
    expect(() => Btf.parse(b.toBytes())).toThrow(BtfError);
  });

  it('dumps built types as C that compiles', () => {
    const btf = sampleBuilder().build();
    const c = dumpC(btf, [btf.get('node_t').id, btf.get('either').id, btf.get('handle', 'func').type]);
    expect(c).toContain('struct node {');
    expect(c).toContain('typedef struct node node_t;');
    clangCheck(
      `${c}\n_Static_assert(sizeof(struct node) == 64, "node");\nint f(node_t *n) { return n->kind; }\n`,
    );
  });

  it('rejects bad input', () => {
    const b = new BtfBuilder();
    expect(() => b.int('x', 3)).toThrow(BtfError);
    expect(() => b.setMembers(b.int('y', 4), [])).toThrow(BtfError);
    expect(() => b.add({ kind: 'void', name: '' } as never)).toThrow(BtfError);
  });
});

describe('int encodings', () => {
  it('refuse more than one of signed, char and bool, as the kernel does', () => {
    const b = new BtfBuilder();
    expect(() => b.int('c', 1, { char: true, signed: true })).toThrow(/choose one of signed, char and bool/);
    expect(() => b.int('b', 1, { bool: true, signed: true })).toThrow(BtfError);
    expect(b.int('c', 1, { char: true })).toBe(1);
  });
});
