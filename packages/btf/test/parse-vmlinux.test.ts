import { alignOf, Btf, BtfError, membersOf, sizeOf } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { bpftoolRaw, kernelBtf } from './helpers.js';

const STRUCTS = [
  'task_struct',
  'sk_buff',
  'xdp_md',
  '__sk_buff',
  'iphdr',
  'list_head',
  'file',
  'inode',
  'ethhdr',
];

describe('vmlinux BTF', () => {
  it('indexes every type with the ids bpftool reports', () => {
    const btf = kernelBtf();
    const raw = bpftoolRaw();
    expect(btf.typeCount - 1).toBe(raw.size);
    for (const id of [1, 2, 100, 1000, raw.size]) {
      const r = raw.get(id)!;
      expect(btf.kindOf(id)).toBe(r.kind.toLowerCase());
      expect(btf.nameOf(id)).toBe(r.name);
    }
  });

  it.each(STRUCTS)('struct %s has the size and member offsets bpftool reports', (name) => {
    const btf = kernelBtf();
    const t = btf.get(name, 'struct');
    const r = bpftoolRaw().get(t.id)!;
    expect(r.attrs).toContain(`size=${t.size}`);
    expect(sizeOf(btf, t.id)).toBe(t.size);
    const members = membersOf(btf, t.id);
    expect(members.length).toBe(r.lines.length);
    members.forEach((m, i) => {
      const line = r.lines[i]!;
      const name = m.name === '' ? '(anon)' : m.name;
      expect(line.startsWith(`'${name}' type_id=${m.type} bits_offset=${m.bitOffset}`)).toBe(true);
      if (m.bitfieldSize) expect(line).toContain(`bitfield_size=${m.bitfieldSize}`);
    });
    expect(alignOf(btf, t.id)).toBeGreaterThanOrEqual(1);
  });

  it('iterates every type equal to type(id), keeping decoded ones and caching nothing new', () => {
    const btf = Btf.parse(kernelBtf().bytes);
    const early = btf.get('task_struct', 'struct');
    let count = 0;
    for (const t of btf.types()) {
      count++;
      if (t.id === early.id) expect(t).toBe(early);
      else if (t.id % 1009 === 0) {
        const again = btf.type(t.id);
        expect(again).toStrictEqual(t);
      }
    }
    expect(count).toBe(btf.typeCount - 1);
    // An iteration decodes afresh: the same id is an equal, separate object the second time.
    const [first] = btf.types();
    const [second] = btf.types();
    expect(second).toStrictEqual(first);
    expect(second).not.toBe(first);
  });

  it('decodes every type in agreement with bpftool for a sample', () => {
    const btf = kernelBtf();
    const raw = bpftoolRaw();
    const kinds = new Set<string>();
    for (const t of btf.types()) {
      kinds.add(t.kind);
      if (t.id % 97 !== 0) continue;
      const r = raw.get(t.id)!;
      expect(t.kind).toBe(r.kind.toLowerCase());
      expect(t.name).toBe(r.name);
      if ('size' in t && t.kind !== 'datasec') expect(r.attrs).toContain(`size=${t.size}`);
      if ('members' in t) expect(t.members.length).toBe(r.lines.length);
      if ('values' in t) expect(t.values.length).toBe(r.lines.length);
      if ('params' in t) expect(t.params.length).toBe(r.lines.length);
    }
    for (const k of [
      'int',
      'ptr',
      'array',
      'struct',
      'union',
      'enum',
      'typedef',
      'func',
      'func_proto',
      'var',
      'datasec',
    ]) {
      expect(kinds).toContain(k);
    }
  });

  it('looks types up by name and kind', () => {
    const btf = kernelBtf();
    expect(btf.find('no_such_type_xyz')).toBeUndefined();
    expect(() => btf.get('no_such_type_xyz', 'struct')).toThrow(BtfError);
    const u32 = btf.get('u32', 'typedef');
    expect(sizeOf(btf, u32.id)).toBe(4);
    expect(btf.findIds('task_struct').length).toBeGreaterThanOrEqual(1);
    expect(btf.find('task_struct', 'union')).toBeUndefined();
    const fn = btf.get('bpf_map_lookup_elem', 'func');
    expect(btf.type(fn.type).kind).toBe('func_proto');
  });

  it('throws BtfError for unknown ids', () => {
    const btf = kernelBtf();
    expect(() => btf.type(btf.typeCount)).toThrow(BtfError);
    expect(() => btf.type(-1)).toThrow(BtfError);
  });
});
