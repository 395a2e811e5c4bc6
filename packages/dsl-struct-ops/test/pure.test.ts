import { join } from 'node:path';
import { runWithoutNative } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';

const PACKAGES = join(import.meta.dirname, '..', '..');
const src = (name: string) => join(PACKAGES, name, 'src');

it('the root entry imports with no koffi and no Node built-in', () => {
  const r = runWithoutNative(
    `
    import { structOpsPlugin, structOpsRules, TCP_CC_TEMPLATES } from '@ts-ebpf/dsl-struct-ops';
    console.log(structOpsPlugin.sections.join(','), structOpsRules('tcp_congestion_ops').required.length, Object.keys(TCP_CC_TEMPLATES).length);
    `,
    { noNodeIn: [src('uapi'), src('dsl'), src('btf'), src('dsl-struct-ops')] },
  );
  expect(`${r.stdout}\n${r.stderr}`).toContain('struct_ops,struct_ops.s 4 5');
  expect(r.status).toBe(0);
});
