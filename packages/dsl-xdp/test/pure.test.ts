import { join } from 'node:path';
import { runWithoutNative } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const src = (name: string) => join(PACKAGES, name, 'src');

it('imports with no koffi and no Node built-in, and builds a program', () => {
  const r = runWithoutNative(
    `
    import { format } from '@ts-ebpf/dsl';
    import { redirectToXsk, xdp } from '@ts-ebpf/dsl-xdp';
    const built = xdp().build([redirectToXsk({ fd: 3 }, { fallback: 'XDP_PASS' }), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
    if (built.type !== 6) throw new Error('type ' + built.type);
    console.log(format(built.instructions).split('\\n')[1]);
    `,
    { noNodeIn: [src('uapi'), src('dsl'), src('dsl-xdp')] },
  );
  expect(`${r.stdout}\n${r.stderr}`).toContain('r2 = *(u32 *)(r6 + 16)');
  expect(r.status).toBe(0);
});
