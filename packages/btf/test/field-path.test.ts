import { execFileSync } from 'node:child_process';
import { BtfBuilder, BtfError, fieldPath, membersOf, resolveType, sizeOf } from '@ts-ebpf/btf';
import { describe, expect, it } from 'vitest';
import { clangCheck, kernelBtf, VMLINUX_PATH } from './helpers.js';

const PATHS: [string, string, string][] = [
  // [field path, C type, C member designator] — checked against clang on bpftool's vmlinux.h
  ['task_struct.pid', 'struct task_struct', 'pid'],
  ['task_struct.tgid', 'struct task_struct', 'tgid'],
  ['task_struct.se.vruntime', 'struct task_struct', 'se.vruntime'],
  ['sk_buff.len', 'struct sk_buff', 'len'],
  ['sk_buff.protocol', 'struct sk_buff', 'protocol'],
  ['__sk_buff.cb[2]', 'struct __sk_buff', 'cb[2]'],
  ['xdp_md.ingress_ifindex', 'struct xdp_md', 'ingress_ifindex'],
  ['iphdr.daddr', 'struct iphdr', 'daddr'],
  ['list_head.prev', 'struct list_head', 'prev'],
  ['file.f_inode', 'struct file', 'f_inode'],
];

describe('field paths on vmlinux', () => {
  it('agree with clang offsetof/sizeof on bpftool vmlinux.h', () => {
    const btf = kernelBtf();
    const header = execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_PATH, 'format', 'c'], {
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const checks = PATHS.map(([path, ty, member]) => {
      const loc = fieldPath(btf, path);
      expect(loc.derefs).toEqual([]);
      expect(loc.bitfield).toBe(false);
      return [
        `_Static_assert(__builtin_offsetof(${ty}, ${member}) == ${loc.byteOffset}, "${path} offset");`,
        `_Static_assert(sizeof(((${ty} *)0)->${member}) == ${loc.size}, "${path} size");`,
        `_Static_assert((((__typeof__(((${ty} *)0)->${member}))-1) < 0) == ${loc.signed ? 1 : 0} || ${loc.size} > 8, "${path} sign");`,
      ].join('\n');
    });
    clangCheck(`${header}\n${checks.join('\n')}\n`);
  });

  it('indexes arrays (plain char has no signedness in BTF)', () => {
    const btf = kernelBtf();
    const comm = fieldPath(btf, 'task_struct.comm');
    const c3 = fieldPath(btf, 'task_struct.comm[3]');
    expect(c3).toMatchObject({ byteOffset: comm.byteOffset + 3, size: 1, bitSize: 8, signed: false });
    expect(btf.type(c3.type)).toMatchObject({ kind: 'int', name: 'char', signed: false });
  });

  it('follows pointers only when stated', () => {
    const btf = kernelBtf();
    expect(() => fieldPath(btf, 'task_struct.real_parent.tgid')).toThrow(/through a pointer/);
    const viaArrow = fieldPath(btf, 'task_struct.real_parent->tgid');
    const viaOption = fieldPath(btf, 'task_struct.real_parent.tgid', { throughPointers: true });
    expect(viaArrow).toEqual(viaOption);
    expect(viaArrow.derefs).toEqual([fieldPath(btf, 'task_struct.real_parent').byteOffset]);
    expect(viaArrow.byteOffset).toBe(fieldPath(btf, 'task_struct.tgid').byteOffset);
    expect(viaArrow).toMatchObject({ size: 4, signed: true, bitSize: 32 });
  });

  it('reports bitfields with bit offset and width', () => {
    const btf = kernelBtf();
    const sk = btf.get('sk_buff', 'struct');
    const bf = sk.members.find((m) => m.bitfieldSize > 0);
    const inner =
      bf ??
      sk.members.flatMap((m) => {
        const t = resolveType(btf, m.type);
        return t.kind === 'struct' || t.kind === 'union' ? t.members.filter((x) => x.bitfieldSize > 0) : [];
      })[0];
    expect(inner).toBeDefined();
    const loc = fieldPath(btf, `sk_buff.${inner!.name}`);
    expect(loc.bitfield).toBe(true);
    expect(loc.bitSize).toBe(inner!.bitfieldSize);
    expect(loc.byteOffset).toBe(Math.floor(loc.bitOffset / 8));
  });

  it('rejects paths that do not fit the types', () => {
    const btf = kernelBtf();
    expect(() => fieldPath(btf, 'task_struct.no_such_field')).toThrow(BtfError);
    expect(() => fieldPath(btf, 'task_struct.pid[1]')).toThrow(BtfError);
    expect(() => fieldPath(btf, 'task_struct.comm[99]')).toThrow(/out of bounds/);
    expect(() => fieldPath(btf, 'no_such_struct.x')).toThrow(BtfError);
    expect(() => fieldPath(btf, 'task_struct..pid')).toThrow(BtfError);
  });

  it('works from a type id and through typedefs', () => {
    const btf = kernelBtf();
    const id = btf.get('task_struct', 'struct').id;
    expect(fieldPath(btf, id, '.pid')).toEqual(fieldPath(btf, 'task_struct.pid'));
    expect(sizeOf(btf, fieldPath(btf, 'task_struct.pid').type)).toBe(4);
  });
});

describe('cycles', () => {
  it('size, alignment and C dump of a self-referential type through a pointer terminate', () => {
    const b = new BtfBuilder();
    const s = b.struct('self', []);
    b.setMembers(s, [{ name: 'me', type: b.ptr(s) }]);
    const btf = b.build();
    expect(sizeOf(btf, s)).toBe(8);
  });

  it('a cycle without pointers is a BtfError', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const td = b.typedef('loop_a', b.nextId + 1);
    b.typedef('loop_b', td);
    const arr = b.array(b.nextId + 1, 2);
    b.const(arr);
    const s = b.add({
      kind: 'struct',
      name: 'inside',
      size: 4,
      members: [{ name: 'x', type: b.nextId, bitOffset: 0, bitfieldSize: 0 }],
    });
    b.add({
      kind: 'struct',
      name: 'outside',
      size: 4,
      members: [
        { name: 'y', type: s, bitOffset: 0, bitfieldSize: 0 },
        { name: 'z', type: int, bitOffset: 0, bitfieldSize: 0 },
      ],
    });
    const btf = b.build();
    expect(() => sizeOf(btf, td)).toThrow(BtfError);
    expect(() => resolveType(btf, td)).toThrow(BtfError);
    expect(() => sizeOf(btf, arr)).toThrow(BtfError);
    expect(() => fieldPath(btf, td, '.x')).toThrow(BtfError);
  });
});

describe('old-style bitfields (no kind_flag)', () => {
  it('take the width and offset from the INT type', () => {
    const b = new BtfBuilder();
    const u32 = b.int('unsigned int', 4);
    const bits3 = b.add({
      kind: 'int',
      name: 'unsigned int',
      size: 4,
      signed: false,
      char: false,
      bool: false,
      bitOffset: 0,
      bits: 3,
    });
    const s = b.add({
      kind: 'struct',
      name: 'old',
      size: 8,
      members: [
        { name: 'a', type: u32, bitOffset: 0, bitfieldSize: 0 },
        { name: 'f', type: bits3, bitOffset: 37, bitfieldSize: 0 },
      ],
    });
    const btf = b.build();
    expect(fieldPath(btf, s, '.f')).toMatchObject({
      bitOffset: 37,
      bitSize: 3,
      bitfield: true,
      byteOffset: 4,
    });
    expect(membersOf(btf, s)[1]).toMatchObject({ bitOffset: 37, bitfieldSize: 3 });
  });
});

describe('a root name that several types share', () => {
  // vmlinux has a few: two `struct syscall_tp_t` (one with `ret`, one with `args`), two `dma_chan` …
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const long = b.int('long', 8, { signed: true });
  const first = b.struct('dup', [
    { name: 'a', type: int },
    { name: 'b', type: int },
    { name: 'same', type: long },
  ]);
  const second = b.struct('dup', [
    { name: 'x', type: long },
    { name: 'same', type: long },
    { name: 'b', type: int },
  ]);
  const btf = b.build();

  it('takes the one type the path fits', () => {
    expect(fieldPath(btf, 'dup.a').byteOffset).toBe(0);
    expect(fieldPath(btf, 'dup.x')).toEqual(fieldPath(btf, second, '.x'));
  });

  it('answers when every type it fits places the field alike', () => {
    expect(fieldPath(btf, 'dup.same')).toEqual(fieldPath(btf, first, '.same'));
  });

  it('refuses a path that lands differently in different types, naming their ids', () => {
    expect(() => fieldPath(btf, 'dup.b')).toThrow(BtfError);
    expect(() => fieldPath(btf, 'dup.b')).toThrow(
      new RegExp(`struct dup \\(type ${first}\\): byte 4.*struct dup \\(type ${second}\\): byte 16`),
    );
  });

  it('still names the field when it fits none of them', () => {
    expect(() => fieldPath(btf, 'dup.nope')).toThrow(/struct dup has no field 'nope'/);
  });
});
