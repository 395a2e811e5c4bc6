import { join } from 'node:path';
import { runWithoutNative } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const src = (name: string) => join(PACKAGES, name, 'src');

it('imports with no koffi and no Node built-in, and builds a program', () => {
  const r = runWithoutNative(
    `
    import { format } from '@ts-ebpf/dsl';
    import { SK_MSG_TEMPLATES, skMsg } from '@ts-ebpf/dsl-socket';
    const built = skMsg().build(SK_MSG_TEMPLATES.verdictByFirstBytes(Uint8Array.of(0x47)));
    if (built.type !== 16) throw new Error('type ' + built.type);
    console.log(format(built.instructions).split('\\n')[1]);
    `,
    { noNodeIn: [src('uapi'), src('dsl'), src('dsl-socket')] },
  );
  expect(`${r.stdout}\n${r.stderr}`).toContain('r2 = *(u32 *)(r6 + 68)');
  expect(r.status).toBe(0);
});
