import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
/** The node-only modules; everything else in src/ must run in any JS runtime. */
const NODE_ONLY = new Set(['load.ts', 'kernel-btf.ts', 'index.ts']);

describe('package purity', () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts'));

  it.each(files.filter((f) => !NODE_ONLY.has(f)))('%s imports no node module, koffi or syscall', (file) => {
    const text = readFileSync(join(SRC, file), 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    for (const spec of imports)
      expect(spec, `${file} imports ${spec}`).toMatch(/^(\.\/[\w-]+\.js|@ts-ebpf\/uapi)$/);
    expect(text).not.toMatch(/reference types=|\bprocess\.|\bBuffer\b|require\(/);
  });

  it('only load.ts touches @ts-ebpf/syscall and only node-only modules use node:', () => {
    for (const f of files) {
      const text = readFileSync(join(SRC, f), 'utf8');
      if (text.includes("'@ts-ebpf/syscall'")) expect(f).toBe('load.ts');
      if (text.includes("'node:")) expect(['kernel-btf.ts']).toContain(f);
    }
  });

  it('keeps every source file under 400 lines', () => {
    for (const f of files) expect(readFileSync(join(SRC, f), 'utf8').split('\n').length, f).toBeLessThan(400);
  });
});
