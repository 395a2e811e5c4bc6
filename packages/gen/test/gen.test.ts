import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectionSpec, NameNotFoundError } from '@ts-ebpf/elf';
import { CodecError, decode, encode } from '@ts-ebpf/maps';
import { ObjectClosedError } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CORPUS, CorpusBuild } from '../../elf/test/corpus/build.js';
import { defaultName, genCommand, generateBindings } from '../src/index.js';
import { biomeFormat, biomeSortImports, compileFixture, type Diagnostic, Workspace } from './harness.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const ws = new Workspace('gen');
const pinRoot = `/sys/fs/bpf/ts-ebpf-gen-${process.pid}`;
let corpus: CorpusBuild;
let diagnostics: Diagnostic[];
let objects: { shapes: string; variant: string; bigEndian: string };

/** Runs `ts-ebpf gen` with these arguments; fails the test on a non-zero exit. */
async function gen(...argv: string[]): Promise<void> {
  const errors: string[] = [];
  const rc = await genCommand(argv, { stdout: () => {}, stderr: (s) => errors.push(s) });
  expect(errors.join(''), `gen ${argv.join(' ')}`).toBe('');
  expect(rc).toBe(0);
}

/** The interface block called `name` in a generated module's text. */
function interfaceText(module: string, name: string): string {
  const start = module.indexOf(`export interface ${name} {`);
  expect(start, `interface ${name}`).toBeGreaterThanOrEqual(0);
  return module.slice(start, module.indexOf('\n}\n', start) + 2);
}

describeKernel('generated modules', () => {
  beforeAll(async () => {
    const dir = join(ws.dir, 'obj');
    mkdirSync(dir, { recursive: true });
    objects = {
      shapes: compileFixture('shapes.bpf.c', dir),
      variant: compileFixture('shapes.bpf.c', dir, ['VARIANT']),
      bigEndian: compileFixture('shapes.bpf.c', dir, [], { target: 'bpfeb' }),
    };
    await gen(objects.shapes, '-o', join(ws.dir, 'shapes.ts'), '--type', 'event');
    await gen(objects.variant, '-o', join(ws.dir, 'shapes-variant.ts'), '--name', 'Shapes');
    await gen(objects.bigEndian, '-o', join(ws.dir, 'shapes-be.ts'), '--name', 'Shapes', '--type', 'event');
    mkdirSync(join(ws.dir, 'ref'));
    await gen(objects.shapes, '-o', join(ws.dir, 'ref/shapes.ts'), '--reference', '--name', 'ShapesRef');
    corpus = new CorpusBuild();
    for (const file of CORPUS) {
      const text = generateBindings(corpus.object(file), { name: defaultName(file), source: file });
      ws.write(`corpus/${file.replace(/\..*$/, '')}.ts`, text);
    }
    for (const use of [
      'use-shapes.ts',
      'use-variant.ts',
      'use-old.ts',
      'use-reference.ts',
      'use-maps.ts',
      'use-corpus.ts',
    ])
      copyFileSync(join(FIXTURES, use), join(ws.dir, use));
    diagnostics = ws.typecheck();
    mkdirSync(pinRoot, { recursive: true });
  }, 600_000);

  afterAll(() => {
    corpus?.cleanup();
    ws.cleanup();
    rmSync(pinRoot, { recursive: true, force: true });
  });

  it('every generated module and its use compile under tsc --strict (but the use of a renamed field)', () => {
    const unexpected = diagnostics.filter((d) => !d.file.endsWith('use-variant.ts'));
    expect(unexpected).toEqual([]);
  });

  it('a change in the C struct changes the generated types, and code using the old field stops compiling', () => {
    const before = interfaceText(ws.read('shapes.ts'), 'RecordStruct');
    const after = interfaceText(ws.read('shapes-variant.ts'), 'RecordStruct');
    expect(before).toContain('  neg: bigint;');
    expect(before).not.toContain('balance');
    expect(before).not.toContain('extra');
    expect(after).not.toContain('  neg:');
    expect(after).toContain('  balance: bigint;');
    expect(after).toContain('  extra: number;');
    // the rest of the struct is the same
    const lines = (text: string) => new Set(text.split('\n'));
    const removed = [...lines(before)].filter((l) => !lines(after).has(l));
    const added = [...lines(after)].filter((l) => !lines(before).has(l));
    expect(removed).toEqual(['  /** `s64 neg`: byte 72, 8 bytes. */', '  neg: bigint;']);
    expect(added).toEqual([
      '  /** `s64 balance`: byte 72, 8 bytes. */',
      '  balance: bigint;',
      '  /** `u32 extra`: byte 120, 4 bytes. */',
      '  extra: number;',
    ]);
    const variant = diagnostics.filter((d) => d.file.endsWith('use-variant.ts'));
    expect(variant).toHaveLength(1);
    expect(variant[0]!.text).toMatch(/Property 'neg' does not exist on type 'RecordStruct'/);
  });

  it('reads what C wrote into a map, a .bss struct, per-CPU values and a ring buffer, field by field', async () => {
    const { run } = await import(join(ws.dir, 'use-shapes.ts'));
    const r = run();
    expect(r.written).toBe(2); // XDP_PASS
    const expected = (id: number) => ({
      id,
      stamp: 0x1122334455667788n - 5n,
      name: 'shape',
      flag: 1,
      level: 5,
      delta: -7,
      wide: 0xabcdef1234n,
      on: true,
      color: -3,
      where: { x: -2, y: -300 },
      path: [
        { x: 10, y: 11 },
        { x: 12, y: 77 }, // origin.y, set through the .data variable before the run
      ],
      n: { word: 0x04030201, bytes: new Uint8Array([1, 2, 3, 4]) },
      pair: { lo: 0xbeef, hi: 0xcafe },
      inner: { a: 200, b: 201 },
      raw: new Uint8Array([1, 2, 3]),
      neg: -1234567890123n,
      ptr: 0n,
      ok: true,
      grid: [
        [0, 1, 2],
        [10, 11, 12],
      ],
      _19: { ua: 0xdeadbeef, ub: 0xbeef },
    });
    expect(r.stored).toEqual(expected(9));
    expect(r.last).toEqual(expected(10));
    // the codec writes the bytes C wrote (padding included)
    expect(r.reencoded).toEqual(r.raw);
    expect(r.seed).toBe(9);
    expect(r.offset).toBe(-5n);
    expect(r.runs).toBe(1n);
    expect(r.origin).toEqual({ x: 5, y: 77 });
    expect(r.hits).toBe(1n);
    expect(r.events).toEqual([{ pid: 9, comm: 'ring' }]);
    expect(r.blue).toBe(-3);
    // C read the record user space wrote: level 6, delta -3, on, wide 0x1234567890
    expect(r.readByC).toBe(600 + (-3 + 16) + 1000 + 10000);
    expect(r.roundTrip).toEqual({
      ...expected(9),
      level: 6,
      delta: -3,
      on: true,
      wide: 0x1234567890n,
      n: { word: 5, bytes: new Uint8Array([5, 0, 0, 0]) },
    });
  });

  it('a module generated with --reference loads the object from its path', async () => {
    expect(ws.read('ref/shapes.ts')).toContain("new URL('../obj/shapes.bpf.o', import.meta.url)");
    expect(ws.read('ref/shapes.ts')).not.toContain('OBJECT_BASE64');
    const { run } = await import(join(ws.dir, 'use-reference.ts'));
    expect(run()).toEqual({ runs: 2n, id: 7 });
  });

  it('the elf corpus maps object: every BTF map kind typed, values as C wrote them', async () => {
    const { run } = await import(join(ws.dir, 'use-maps.ts'));
    const r = run(pinRoot);
    expect(r).toEqual({
      retvals: [3, 3], // XDP_TX from the tail call
      tailRuns: 2n,
      targetPid: process.pid,
      hash: 2n,
      array: 2n,
      percpuHash: 2n,
      percpuArray: 2n,
      lpmValue: 77,
      poppedQueue: 6,
      poppedStack: 5,
      bloomHit: 1,
      bloomMiss: 0,
      innerA: 2n,
      innerB: 20n,
      peeked: { queue: 5, stack: 6, bloom: true },
      leftInQueue: undefined,
      leftInStack: undefined,
    });
  });

  it("the typed maps are the collection's typed views: closing the collection closes them, wrapped or not", async () => {
    const { Maps } = await import(join(ws.dir, 'corpus/maps.ts'));
    const m = Maps.load({ constants: { target_pid: process.pid }, pinRoot });
    try {
      m.maps.m_hash.set(1, 5n);
      m.maps.m_queue.push(7);
      expect([m.maps.m_hash.get(1), m.maps.m_queue.peek()]).toEqual([5n, 7]);
      m.collection.close();
      expect(() => m.maps.m_hash.get(1)).toThrow(ObjectClosedError);
      expect(() => m.maps.m_queue.peek()).toThrow(ObjectClosedError);
      expect(() => m.maps.m_bloom.has(1)).toThrow(ObjectClosedError);
    } finally {
      m.close();
    }
  });

  it('the rest of the elf corpus: each module loads; values read as C initialised or wrote them', async () => {
    const { run } = await import(join(ws.dir, 'use-corpus.ts'));
    expect(run()).toEqual({
      tracing: { targetPid: process.pid, bonus: 3, resetOnFork: 7, custom: 1000n, comm: '', missingEnum: 7n },
      net: { tcRuns: 2n, watchPort: 0 },
      uprobe: { calls: 0n, programs: ['on_call', 'on_return'] },
      iter: { targetPid: process.pid, tasksSeen: 0n },
      callbacks: { iterations: 10n, sum: 285n, result: 10n, tail: 1n, mapSum: 36n, mapElems: 8n },
    });
  });

  it('generated codecs and load options refuse bad values, naming the field or constant', async () => {
    const m = await import(join(ws.dir, 'shapes.ts'));
    const good = {
      ...m.recordStructCodec.read(new DataView(new ArrayBuffer(120)), 0, HOST_BYTE_ORDER),
      n: { word: 1 },
    };
    const enc = (value: unknown) => encode(m.recordStructCodec, value, HOST_BYTE_ORDER);
    expect(enc(good).byteLength).toBe(120);
    expect(() => enc({ ...good, level: 8 })).toThrow(/value\.level: 8 does not fit a 3-bit bitfield/);
    expect(() => enc({ ...good, delta: -17 })).toThrow(/value\.delta: -17 does not fit a 5-bit bitfield/);
    expect(() => enc({ ...good, wide: 1 })).toThrow(/value\.wide: 1 is not a bigint/);
    expect(() => enc({ ...good, n: { word: 1, bytes: new Uint8Array([2, 0, 0, 0]) } })).toThrow(
      /value\.n\.bytes: disagrees with word at byte 0/,
    );
    expect(() => enc({ ...good, n: {} })).toThrow(
      /value\.n: a union value sets one of word, bytes; got none/,
    );
    const { ok: _, ...missing } = good;
    expect(() => enc(missing)).toThrow(/value\.ok: missing field/);
    expect(() => enc({ ...good, nope: 1 })).toThrow(/value\.nope: unknown field/);
    expect(() => enc({ ...good, path: [good.where] })).toThrow(/value\.path: expected an array of 2/);
    for (const bad of [
      { ...good, level: 8 },
      { ...good, ok: 1 },
    ]) {
      try {
        enc(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
      }
    }
    expect(() => m.Shapes.load({ constants: { nope: 1 } })).toThrow(NameNotFoundError);
    expect(() => m.Shapes.load({ constants: { nope: 1 } })).toThrow(/'nope'.*seed, offset/);
    expect(() => m.Shapes.load({ constants: { seed: -1 } })).toThrow(/seed: -1 is not a u32/);
  });

  it('a union read with a NaN in its float member writes back the same bytes', async () => {
    const m = await import(join(ws.dir, 'shapes.ts'));
    const codec = m.floatBitsCodec;
    // Signalling NaN, quiet NaN with a payload, negative quiet NaN, 1.0.
    for (const bits of [0x7f800001, 0x7fc00001, 0xffc00000, 0x3f800000]) {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setUint32(0, bits, HOST_BYTE_ORDER === 'little');
      const value = decode(codec, bytes, HOST_BYTE_ORDER);
      expect([bits, encode(codec, value, HOST_BYTE_ORDER)]).toEqual([bits, bytes]);
    }
    // Members that do not agree are still refused.
    expect(() => encode(codec, { f: 1, u: 5 }, HOST_BYTE_ORDER)).toThrow(
      /value\.u: disagrees with f at byte 0/,
    );
  });

  it('every generated module is laid out as the formatter would (biome format and import sorting change nothing)', () => {
    const modules = [
      'shapes.ts',
      'shapes-variant.ts',
      'ref/shapes.ts',
      ...CORPUS.map((f) => `corpus/${f.replace(/\..*$/, '')}.ts`),
    ];
    for (const file of modules) {
      const text = ws.read(file);
      expect(biomeFormat(text) === text, `${file} is not formatted`).toBe(true);
      // and its imports are in the order the formatter's check sorts them into (organizeImports)
      expect(biomeSortImports(text) === text, `${file}: the imports are not sorted`).toBe(true);
    }
  });

  it('codecs follow the object byte order: bitfields clang laid out in bpfel and bpfeb objects decode alike', async () => {
    // the modules differ only in the embedded object and its byte order
    const strip = (text: string) =>
      text
        .replace(/\nconst OBJECT_BASE64 = \[[^\]]*\]/, '')
        .replace(/shapes\.bpf\.(bpfeb\.)?o/g, 'shapes.o')
        .replace(/\(\d+( bytes)?\)/g, '()')
        .replace(/OBJECT_BYTE_ORDER: ByteOrder = '(big|little)'/, '');
    const big = ws.read('shapes-be.ts');
    expect(big).toContain("const OBJECT_BYTE_ORDER: ByteOrder = 'big';");
    expect(ws.read('shapes.ts')).toContain("const OBJECT_BYTE_ORDER: ByteOrder = 'little';");
    expect(strip(big)).toBe(strip(ws.read('shapes.ts')));
    for (const [file, object, order] of [
      ['shapes.ts', objects.shapes, 'little'],
      ['shapes-be.ts', objects.bigEndian, 'big'],
    ] as const) {
      const m = await import(join(ws.dir, file));
      const spec = loadCollectionSpec(readFileSync(object));
      expect(spec.byteOrder).toBe(order);
      const data = spec.dataSections.get('.data')!;
      const at = (name: string) => data.contents.subarray(data.variables.get(name)!.offset);
      expect(decode(m.flagsCodec, at('init_flags'), order)).toEqual({
        a: 5,
        b: -7,
        c: 0xabcdef1234n,
        d: 0x1234,
      });
      expect(decode(m.pointCodec, at('origin'), order)).toEqual({ x: -1, y: 300 });
      // and encode gives back clang's bytes
      const size = data.variables.get('init_flags')!.size;
      expect(encode(m.flagsCodec, { a: 5, b: -7, c: 0xabcdef1234n, d: 0x1234 }, order)).toEqual(
        at('init_flags').subarray(0, size),
      );
    }
  });

  it('output is deterministic: the same object gives the same module', () => {
    const bytes = readFileSync(objects.shapes);
    const a = generateBindings(bytes, { name: 'Shapes', types: ['event'], source: 'shapes.bpf.o' });
    const b = generateBindings(new Uint8Array(bytes), {
      name: 'Shapes',
      types: ['event'],
      source: 'shapes.bpf.o',
    });
    expect(a).toBe(b);
  });
});
