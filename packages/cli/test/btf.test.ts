import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfBuilder } from '@ts-ebpf/btf';
import { type LoadedBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import { btfInfo } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bpftoolJson, cli } from './run.js';

type BtfJson = { types: Record<string, unknown>[] };

/**
 * bpftool 7.1 prints an UNSIGNED 32-bit enum value at or past 2^31 sign-extended to 64 bits
 * (4026531839 as 18446744073441116159); we print the value. Do the same to ours for the
 * comparison (in doubles, as JSON.parse reads both, so the rounding is the same).
 */
function likeBpftool71(t: Record<string, unknown>): Record<string, unknown> {
  if (t.kind !== 'ENUM' || t.encoding !== 'UNSIGNED') return t;
  const values = (t.values as { name: string; val: number }[]).map((v) => ({
    ...v,
    val: v.val >= 2 ** 31 ? v.val + (2 ** 64 - 2 ** 32) : v.val,
  }));
  return { ...t, values };
}

/** A C header's lines, leaving out forward declarations (dumpC may place more of them than bpftool). */
function declarations(header: string): string[] {
  return header.split('\n').filter((l) => !/^(struct|union) \w+;$/.test(l));
}

/** BTF with every kind bpftool prints, loaded into the kernel. */
function everyKind(): LoadedBtf {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const uint = b.int('unsigned int', 4);
  const ch = b.int('char', 1, { char: true });
  const flag = b.int('_Bool', 1, { bool: true });
  const node = b.struct('node', []);
  const ptr = b.ptr(node);
  b.setMembers(node, [
    { name: 'next', type: ptr },
    // One qualifier: for two, dumpC prints them outermost first (`const volatile int`), bpftool
    // innermost first (`volatile const int`); both declare the same type.
    { name: 'value', type: b.volatile(int) },
    { name: 'lo', type: uint, bitOffset: 96, bitfieldSize: 3 },
    { name: 'hi', type: uint, bitOffset: 99, bitfieldSize: 29 },
    { name: 'name', type: b.array(ch, 12) },
    { name: 'ok', type: flag },
  ]);
  b.union('either', [
    { name: 'i', type: int },
    { name: 'f', type: b.float('float', 4) },
  ]);
  b.enum('state', { IDLE: 0, BUSY: 1, HIGH: 0xf0000000 });
  b.enum('delta', { DOWN: -1, UP: 1 }, { signed: true });
  b.add({
    kind: 'enum64',
    name: 'wide',
    size: 8,
    signed: false,
    values: [{ name: 'BIG', value: 1n << 40n }],
  });
  b.fwd('later', 'union');
  const typedef = b.typedef('node_t', node);
  const tagged = b.typeTag('user', b.ptr(typedef));
  const proto = b.funcProto(int, [
    { name: 'n', type: tagged },
    { name: 'flags', type: uint },
  ]);
  // A function pointer's prototype may leave its parameters unnamed: bpftool prints "(anon)".
  b.typedef('callback', b.ptr(b.funcProto(uint, [{ name: '', type: int }])));
  const fn = b.func('walk', proto, 'global');
  b.declTag('hot', fn, -1);
  const counter = b.var('counter', uint, 'global');
  b.datasec('.bss', [{ type: counter, offset: 0, size: 4 }], 4);
  b.restrict(ptr);
  b.const(int);
  return loadBtf(b);
}

describeKernel('ts-ebpf btf dump', () => {
  let btf: LoadedBtf;
  let id: string;

  beforeAll(() => {
    btf = everyKind();
    id = String(btfInfo(btf.fd).id);
  });

  afterAll(() => btf?.close());

  it('btf dump json id: every kind, equal to bpftool -j btf dump id', async () => {
    const r = await cli(['btf', 'dump', 'json', 'id', id]);
    expect(r.code).toBe(0);
    const ours = JSON.parse(r.stdout) as BtfJson;
    const theirs = bpftoolJson<BtfJson>('btf', 'dump', 'id', id);
    expect(ours.types.length).toBeGreaterThan(20);
    expect(ours.types.map(likeBpftool71)).toEqual(theirs.types);
    expect(ours.types.find((t) => t.name === 'state')).toMatchObject({
      values: [
        { name: 'IDLE', val: 0 },
        { name: 'BUSY', val: 1 },
        { name: 'HIGH', val: 0xf0000000 },
      ],
    });
  });

  it('btf dump c id: the C header bpftool writes', async () => {
    const r = await cli(['btf', 'dump', 'c', 'id', id]);
    expect(r.code).toBe(0);
    const theirs = execFileSync('bpftool', ['btf', 'dump', 'id', id, 'format', 'c'], { encoding: 'utf8' });
    expect(
      declarations(r.stdout)
        .join('\n')
        .replace(/\n{3,}/g, '\n\n'),
    ).toBe(
      declarations(theirs)
        .join('\n')
        .replace(/\n{3,}/g, '\n\n'),
    );
    expect(r.stdout).toContain('struct node {');
  });

  it('btf dump json file: a clang-built object, equal to bpftool -j btf dump file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-cli-btf-'));
    try {
      const object = join(dir, 'maps.bpf.o');
      const source = new URL('../../elf/test/fixtures/maps.bpf.c', import.meta.url).pathname;
      const target = HOST_BYTE_ORDER === 'little' ? 'bpfel' : 'bpfeb';
      execFileSync('clang-19', ['-O2', '-g', '-target', target, '-c', source, '-o', object]);
      const r = await cli(['btf', 'dump', 'json', 'file', object]);
      expect(r.code).toBe(0);
      const ours = JSON.parse(r.stdout) as BtfJson;
      const theirs = bpftoolJson<BtfJson>('btf', 'dump', 'file', object);
      expect(ours.types.some((t) => t.kind === 'DATASEC')).toBe(true);
      expect(ours.types.map(likeBpftool71)).toEqual(theirs.types);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('btf dump json: vmlinux by default, every type equal to bpftool -j btf dump file vmlinux', async () => {
    const r = await cli(['btf', 'dump', 'json']);
    expect(r.code).toBe(0);
    const ours = JSON.parse(r.stdout) as BtfJson;
    const theirs = bpftoolJson<BtfJson>('btf', 'dump', 'file', '/sys/kernel/btf/vmlinux');
    expect(ours.types.length).toBe(theirs.types.length);
    const differing = ours.types.filter(
      (t, i) => JSON.stringify(likeBpftool71(t)) !== JSON.stringify(theirs.types[i]),
    );
    expect(differing).toEqual([]);
  }, 120_000);

  it('refuses --json with c, an unknown format, and names a missing BTF id or file', async () => {
    const c = await cli(['btf', 'dump', 'c', 'id', id, '--json']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("for JSON use 'btf dump json'");
    const raw = await cli(['btf', 'dump', 'raw']);
    expect(raw.code).toBe(2);
    expect(raw.stderr).toContain("unknown format 'raw'");
    const gone = await cli(['btf', 'dump', 'json', 'id', '4294967295']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no BTF object has id 4294967295');
    const noFile = await cli(['btf', 'dump', 'c', 'file', '/nonexistent/x.o']);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain("cannot read BTF file '/nonexistent/x.o': ENOENT");
  });
});
