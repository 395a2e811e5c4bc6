import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CorpusBuild } from '../../elf/test/corpus/build.js';
import { generateBindings } from '../src/index.js';
import { biomeFormat, compileFixture, type Diagnostic, Workspace } from './harness.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const ws = new Workspace('kinds');
let diagnostics: Diagnostic[];
let module: string;
let structOpsModule: string;
let layoutsModule: string;
let corpus: CorpusBuild | undefined;
/** The congestion control's name: this process's own, so that parallel runs do not collide. */
const CC_NAME = `tsebpf_g${process.pid % 10000}`;

describeKernel('generated modules: C types beyond the shapes fixture', () => {
  beforeAll(() => {
    const dir = join(ws.dir, 'obj');
    mkdirSync(dir, { recursive: true });
    const object = compileFixture('kinds.bpf.c', dir);
    module = generateBindings(readFileSync(object), { name: 'Kinds', source: 'kinds.bpf.o' });
    ws.write('kinds.ts', module);
    const layouts = compileFixture('layouts.bpf.c', dir);
    layoutsModule = generateBindings(readFileSync(layouts), { name: 'Layouts', source: 'layouts.bpf.o' });
    ws.write('layouts.ts', layoutsModule);
    corpus = new CorpusBuild();
    const cc = corpus.object('struct-ops.bpf.c', { defines: { CC_NAME: `"${CC_NAME}"` } });
    structOpsModule = generateBindings(cc, { name: 'StructOpsCc', source: 'struct-ops.bpf.o' });
    ws.write('struct-ops.ts', structOpsModule);
    for (const use of ['use-kinds.ts', 'use-struct-ops.ts', 'use-layouts.ts'])
      copyFileSync(join(FIXTURES, use), join(ws.dir, use));
    diagnostics = ws.typecheck();
  }, 240_000);

  afterAll(() => {
    corpus?.cleanup();
    ws.cleanup();
  });

  it('the modules and their uses compile under tsc --strict, laid out as the formatter would', () => {
    expect(diagnostics).toEqual([]);
    for (const text of [module, structOpsModule, layoutsModule])
      expect(biomeFormat(text) === text).toBe(true);
  });

  it('signed byte arrays are numbers as C reads them (-1, not 255); a member named __proto__ is a field', async () => {
    expect(module).toMatch(/deltas: number\[\];/);
    expect(module).toMatch(/sc: number\[\];/);
    expect(module).toMatch(/raw: Uint8Array;/);
    const { run } = await import(join(ws.dir, 'use-kinds.ts'));
    expect(run()).toEqual({
      written: { deltas: [-1, -128, 127, 0], sc: [-2, 2], raw: new Uint8Array([0xff, 1]), name: 'abc' },
      retval: 1000 - 100 - 28 + 5 + 1 - 7 + 3,
      given: { deltas: [-100, -28, 5, 1], sc: [-7, 3], raw: new Uint8Array(2), name: '' },
      js: { keys: ['__proto__', 'constructor', 'toString'], values: [1, 2, 3], again: [4, 5, 6] },
    });
  });

  it('a map of one-byte keys and values without BTF types says 1 byte, and reads and writes them', async () => {
    expect(module).toContain(
      '/** Map `tiny` (hash): key `1 byte`, value `1 byte`. */\n  readonly tiny: BpfMap<Uint8Array, Uint8Array>;',
    );
    expect(module).not.toMatch(/\b1 bytes\b/);
    const m = await import(join(ws.dir, 'kinds.ts'));
    using k = m.Kinds.load();
    k.maps.tiny.set(new Uint8Array([7]), new Uint8Array([0xfe]));
    expect(k.maps.tiny.get(new Uint8Array([7]))).toEqual(new Uint8Array([0xfe]));
  });

  it('a flexible array member says in its comment that it is always empty; it reads as []', async () => {
    expect(module).toContain(
      '/** `unsigned int[0] items`: byte 4, 0 bytes; a flexible (or zero-length) array: its elements are past the value, which holds none, so it is always empty. */\n  items: number[];',
    );
    const m = await import(join(ws.dir, 'kinds.ts'));
    using k = m.Kinds.load();
    expect(k.variables.flex.get()).toEqual({ n: 3, items: [] });
  });

  it('packed keys, enums of each sign and width, floats, 3-D arrays, custom sections round-trip', async () => {
    expect(layoutsModule).toContain('/** `u32 id`: byte 1, 4 bytes. */');
    expect(layoutsModule).toContain("name: 'struct packed_key',\n    size: 13,\n    align: 1,");
    // a struct of one byte is "1 byte", in its comment and its codec's
    expect(layoutsModule).toContain('/** `struct one_byte` (1 byte). */');
    expect(layoutsModule).toContain('`struct one_byte`, 1 byte, aligned to 1. */');
    const { run } = await import(join(ws.dir, 'use-layouts.ts'));
    expect(run()).toEqual({
      retval: 4242, // C found the packed key user space wrote
      written: {
        s32: -1,
        t32: 0xffffffff,
        s64: -0x100000000n,
        t64: 0xffffffffffffffffn,
        f: 1.5,
        d: -2.25,
        cube: [
          [
            [0, 1],
            [10, 11],
          ],
          [
            [100, 101],
            [110, 111],
          ],
        ],
      },
      enums: { s32: true, t32: true, s64: true, t64: true },
      custom: 9 + 20 + 3,
      limit: 20,
      customRo: 3,
      keys: [{ tag: 7, id: 0x01020304, when: 0x1122334455667788n }],
    });
  });

  it('struct_ops maps are typed StructOps, by name: created with the object, registered by register()', async () => {
    expect(structOpsModule).toContain(
      '/** struct_ops map `tsebpf_cc`: `struct tcp_congestion_ops` (section `.struct_ops.link`). */\n  readonly tsebpf_cc: StructOps;',
    );
    const { run } = await import(join(ws.dir, 'use-struct-ops.ts'));
    expect(run(CC_NAME)).toEqual({
      type: 'tcp_congestion_ops',
      before: false,
      after: true,
      theCollections: true,
      registeredAs: true,
    });
  });
});
