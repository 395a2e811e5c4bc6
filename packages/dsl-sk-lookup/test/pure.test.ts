import { join } from 'node:path';
import { runWithoutNative } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const src = (name: string) => join(PACKAGES, name, 'src');

it('imports with no koffi and no Node built-in, and builds a program', () => {
  const r = runWithoutNative(
    `
    import { format } from '@ts-ebpf/dsl';
    import { skLookup, steerPortRange } from '@ts-ebpf/dsl-sk-lookup';
    const built = skLookup().build(steerPortRange({ fd: 3 }, { from: 8000, to: 8009 }));
    if (built.type !== 30) throw new Error('type ' + built.type);
    console.log(format(built.instructions).split('\\n')[1]);
    `,
    { noNodeIn: [src('uapi'), src('dsl'), src('dsl-sk-lookup')] },
  );
  expect(`${r.stdout}\n${r.stderr}`).toContain('r2 = *(u32 *)(r6 + 60)');
  expect(r.status).toBe(0);
});
