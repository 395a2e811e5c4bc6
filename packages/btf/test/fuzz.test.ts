/**
 * Fuzzing of the BTF and BTF.ext readers: mutated builder, clang and split BTF goes through
 * `Btf.parse`, every query, `dumpC`, `writeBtf` and `parseBtfExt` (seeded, so a failure
 * names a reproducible seed and iteration). Each target runs for a time budget: 2 seconds
 * by default, or `TS_EBPF_FUZZ_SECONDS` seconds each (e.g. `TS_EBPF_FUZZ_SECONDS=600`).
 * Properties: only `BtfError` escapes (never `RangeError`/`TypeError`), and BTF that parses
 * and writes parses back to the same types (parse → write → parse).
 */
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

const SECONDS = Number(process.env.TS_EBPF_FUZZ_SECONDS ?? 2);

function guard(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
  }
}

function specsOf(btf: Btf): BtfTypeSpec[] {
  const specs: BtfTypeSpec[] = [];
  for (let id = btf.firstId; id < btf.typeCount; id++) {
    const { id: _id, ...spec } = btf.type(id);
    specs.push(spec as BtfTypeSpec);
  }
  return specs;
}

/** Runs every query on every type of the BTF, then checks parse → write → parse. */
function exercise(btf: Btf): boolean {
  for (let id = 0; id < btf.typeCount; id++) {
    const t = btf.type(id);
    btf.findIds(t.name);
    guard(() => resolveType(btf, id));
    guard(() => sizeOf(btf, id));
    guard(() => alignOf(btf, id));
    if (t.kind === 'struct' || t.kind === 'union') {
      guard(() => membersOf(btf, id));
      for (const m of t.members)
        if (m.name) guard(() => fieldPath(btf, id, `.${m.name}`, { throughPointers: true }));
    }
  }
  guard(() => dumpC(btf));
  const specs = specsOf(btf);
  let written: Uint8Array;
  try {
    written = writeBtf(specs, {
      byteOrder: btf.byteOrder,
      firstId: btf.firstId,
      baseStringsLength: btf.base?.stringsLength ?? 0,
    });
  } catch (e) {
    // corrupt input may refer to ids that do not exist or hold values the writer refuses
    if (!(e instanceof BtfError)) throw e;
    return false;
  }
  const again = Btf.parse(written, btf.base ? { base: btf.base } : {});
  expect(specsOf(again)).toStrictEqual(specs);
  return true;
}

/** Parses mutations of `input` until the time budget is spent; returns [rounds, rewritten]. */
function fuzz(seed: number, input: Uint8Array, options: { base?: Btf } = {}): [number, number] {
  const rand = rng(seed);
  const end = Date.now() + SECONDS * 1000;
  let parsed = 0;
  let i = 0;
  for (; Date.now() < end; i++) {
    const bytes = mutate(input, rand);
    try {
      if (exercise(Btf.parse(bytes, options))) parsed++;
    } catch (e) {
      if (!(e instanceof BtfError)) {
        throw new Error(`iteration ${i} (seed ${seed}) threw ${String(e)}\n${(e as Error).stack}`, {
          cause: e,
        });
      }
    }
  }
  return [i, parsed];
}

describe(`fuzz (${SECONDS} s per target; TS_EBPF_FUZZ_SECONDS runs longer): only BtfError escapes`, () => {
  it('mutated builder output (seed 1)', () => {
    const [rounds, parsed] = fuzz(1, sampleBuilder().toBytes({ byteOrder: 'little' }));
    expect(parsed).toBeGreaterThan(rounds / 20);
  });

  it('mutated big-endian builder output (seed 2)', () => {
    const [rounds, parsed] = fuzz(2, sampleBuilder().toBytes({ byteOrder: 'big' }));
    expect(parsed).toBeGreaterThan(rounds / 20);
  });

  it('mutated clang object BTF (seed 3) and BTF.ext (seed 4)', () => {
    const { btf, ext } = compileBpf(
      'struct s { int a; struct s *n; union { int x; char c[4]; }; unsigned f: 3; };\n' +
        'int g(struct s *p) { return p->n->a + p->x; }\n',
    );
    const base = Btf.parse(btf);
    fuzz(3, btf);
    const rand = rng(4);
    const end = Date.now() + SECONDS * 1000;
    let parsed = 0;
    for (let i = 0; Date.now() < end; i++) {
      try {
        parseBtfExt(mutate(ext, rand), base);
        parsed++;
      } catch (e) {
        if (!(e instanceof BtfError))
          throw new Error(`BTF.ext iteration ${i} (seed 4): ${String(e)}`, { cause: e });
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });

  it('mutated split BTF over a base (seed 5)', () => {
    const base = sampleBuilder().build();
    const b = new BtfBuilder(base);
    const p = b.ptr(base.get('node', 'struct').id);
    b.struct('ext', [{ name: 'p', type: p }]);
    const [rounds, parsed] = fuzz(5, b.toBytes(), { base });
    expect(parsed).toBeGreaterThan(rounds / 20);
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
