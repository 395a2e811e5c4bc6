import {
  alignOf,
  Btf,
  BtfBuilder,
  BtfError,
  type BtfTypeSpec,
  dumpC,
  fieldPath,
  membersOf,
  parseBtfExt,
  resolveType,
  sizeOf,
  writeBtf,
} from '@ts-ebpf/btf';
import { seededRandom as rng } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { compileBpf } from './helpers.js';
import { sampleBuilder } from './sample.js';

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  let b = src.slice();
  const r = rand();
  if (r < 0.2) return b.subarray(0, Math.floor(rand() * b.length));
  const n = 1 + Math.floor(rand() * 6);
  const view = new DataView(b.buffer);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * b.length);
    const how = rand();
    if (how < 0.5) b[at] = b[at]! ^ (1 << Math.floor(rand() * 8));
    else if (how < 0.8 && at + 4 <= b.length) {
      const values = [0, 1, 2, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, Math.floor(rand() * 64)];
      view.setUint32(at - (at % 4), values[Math.floor(rand() * values.length)]!, true);
    } else b[at] = Math.floor(rand() * 256);
  }
  if (rand() < 0.1) b = b.subarray(0, b.length - 1 - Math.floor(rand() * 8));
  return b;
}

/** Runs every query on every type of the BTF. */
function exercise(btf: Btf): void {
  for (let id = 0; id < btf.typeCount; id++) {
    const t = btf.type(id);
    btf.findIds(t.name);
    const guard = (f: () => unknown): void => {
      try {
        f();
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
    };
    guard(() => resolveType(btf, id));
    guard(() => sizeOf(btf, id));
    guard(() => alignOf(btf, id));
    if (t.kind === 'struct' || t.kind === 'union') {
      guard(() => membersOf(btf, id));
      for (const m of t.members)
        if (m.name) guard(() => fieldPath(btf, id, `.${m.name}`, { throughPointers: true }));
    }
  }
  try {
    dumpC(btf);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
  }
  try {
    const specs: BtfTypeSpec[] = [];
    for (const t of btf.types()) {
      const { id: _id, ...spec } = t;
      specs.push(spec as BtfTypeSpec);
    }
    writeBtf(specs);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
  }
}

function fuzz(seed: number, input: Uint8Array, iterations: number, extra?: (b: Uint8Array) => void): number {
  const rand = rng(seed);
  let parsed = 0;
  for (let i = 0; i < iterations; i++) {
    const bytes = mutate(input, rand);
    const start = Date.now();
    try {
      exercise(Btf.parse(bytes));
      parsed++;
    } catch (e) {
      if (!(e instanceof BtfError)) {
        throw new Error(`iteration ${i} (seed ${seed}) threw ${String(e)}\n${(e as Error).stack}`);
      }
    }
    extra?.(bytes);
    expect(Date.now() - start, `iteration ${i} took too long`).toBeLessThan(2000);
  }
  return parsed;
}

describe('fuzz: mutated BTF only ever throws BtfError', () => {
  it('builder output, 3000 mutations (seed 1)', () => {
    const parsed = fuzz(1, sampleBuilder().toBytes(), 3000);
    expect(parsed).toBeGreaterThan(100);
  });

  it('big-endian builder output, 1000 mutations (seed 2)', () => {
    fuzz(2, sampleBuilder().toBytes({ byteOrder: 'big' }), 1000);
  });

  it('clang object BTF and BTF.ext, 2000 mutations (seed 3)', () => {
    const { btf, ext } = compileBpf(
      'struct s { int a; struct s *n; union { int x; char c[4]; }; unsigned f: 3; };\n' +
        'int g(struct s *p) { return p->n->a + p->x; }\n',
    );
    const base = Btf.parse(btf);
    fuzz(3, btf, 1000);
    const rand = rng(4);
    for (let i = 0; i < 1000; i++) {
      try {
        parseBtfExt(mutate(ext, rand), base);
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
    }
  });

  it('split BTF with a corrupt base reference fails cleanly', () => {
    const base = sampleBuilder().build();
    const b = new BtfBuilder(base);
    b.ptr(base.get('node', 'struct').id);
    b.struct('ext', [{ name: 'p', type: base.typeCount }]);
    const split = b.toBytes();
    const rand = rng(5);
    for (let i = 0; i < 500; i++) {
      try {
        exercise(Btf.parse(mutate(split, rand), { base }));
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
    }
  });

  it('dump of a corrupt cycle without pointers is a BtfError; with a pointer it terminates', () => {
    const b = new BtfBuilder();
    const a = b.struct('a', []);
    b.setMembers(a, [{ name: 'self', type: b.ptr(a) }]);
    const ok = b.build();
    expect(dumpC(ok, [a])).toContain('struct a *self;');
    expect(alignOf(ok, a)).toBe(8);
    // struct 1 contains struct 2 which contains struct 1
    const bad = new BtfBuilder();
    bad.add({
      kind: 'struct',
      name: 'loop',
      size: 8,
      members: [{ name: 'y', type: 2, bitOffset: 0, bitfieldSize: 0 }],
    });
    bad.add({
      kind: 'struct',
      name: 'loop2',
      size: 8,
      members: [{ name: 'x', type: 1, bitOffset: 0, bitfieldSize: 0 }],
    });
    const btf = bad.build();
    expect(() => dumpC(btf)).toThrow(BtfError);
    expect(() => alignOf(btf, 1)).toThrow(BtfError);
    expect(sizeOf(btf, 1)).toBe(8);
  });
});
