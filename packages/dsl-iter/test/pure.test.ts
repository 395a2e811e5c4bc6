import { join } from 'node:path';
import { runWithoutNative } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const src = (name: string) => join(PACKAGES, name, 'src');

it('imports with no koffi and no Node built-in, and builds an iterator from BTF bytes', () => {
  const r = runWithoutNative(
    `
    import { readFileSync } from 'node:fs';
    import { Btf } from '@ts-ebpf/btf';
    import { format } from '@ts-ebpf/dsl';
    import { taskDump } from '@ts-ebpf/dsl-iter';
    const { program, layout } = taskDump(Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'))));
    console.log(program.section, program.attachTo, layout.size);
    console.log(format(program.instructions).split('\\n')[1]);
    `,
    { noNodeIn: [src('uapi'), src('dsl'), src('btf'), src('dsl-iter')] },
  );
  expect(`${r.stdout}\n${r.stderr}`).toContain('iter/task task 32');
  expect(r.stdout).toContain('r7 = *(u64 *)(r6 + 8)');
  expect(r.status).toBe(0);
});
