import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateBindings } from '../src/index.js';
import { compileFixture, type Diagnostic, Workspace } from './harness.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const ws = new Workspace('kinds');
let diagnostics: Diagnostic[];
let module: string;

describeKernel('generated modules: C types beyond the shapes fixture', () => {
  beforeAll(() => {
    const dir = join(ws.dir, 'obj');
    mkdirSync(dir, { recursive: true });
    const object = compileFixture('kinds.bpf.c', dir);
    module = generateBindings(readFileSync(object), { name: 'Kinds', source: 'kinds.bpf.o' });
    ws.write('kinds.ts', module);
    copyFileSync(join(FIXTURES, 'use-kinds.ts'), join(ws.dir, 'use-kinds.ts'));
    diagnostics = ws.typecheck();
  }, 120_000);

  afterAll(() => ws.cleanup());

  it('the module and its use compile under tsc --strict', () => {
    expect(diagnostics).toEqual([]);
  });

  it('signed byte arrays are numbers as C reads them (-1, not 255); unsigned ones bytes, char ones text', async () => {
    expect(module).toMatch(/deltas: number\[\];/);
    expect(module).toMatch(/sc: number\[\];/);
    expect(module).toMatch(/raw: Uint8Array;/);
    const { run } = await import(join(ws.dir, 'use-kinds.ts'));
    expect(run()).toEqual({
      written: { deltas: [-1, -128, 127, 0], sc: [-2, 2], raw: new Uint8Array([0xff, 1]), name: 'abc' },
      retval: 1000 - 100 - 28 + 5 + 1 - 7 + 3,
      given: { deltas: [-100, -28, 5, 1], sc: [-7, 3], raw: new Uint8Array(2), name: '' },
    });
  });
});
