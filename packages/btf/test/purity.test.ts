import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const PKG = join(import.meta.dirname, '..', 'package.json');
/** The node-only modules, reached only through the `@ts-ebpf/btf/kernel` subpath. */
const NODE_ONLY = new Set(['load.ts', 'kernel-btf.ts', 'kernel.ts', 'btf-objects.ts', 'btf-object-data.ts']);
/** The node-only modules that make system calls: loading BTF, and listing the kernel's BTF objects. */
const SYSCALL_USERS = ['load.ts', 'btf-objects.ts', 'btf-object-data.ts'];

function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
}

/** Every module `entry` reaches through relative imports. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file))
      if (spec.startsWith('./')) walk(spec.slice(2).replace(/\.js$/, '.ts'));
  };
  walk(entry);
  return seen;
}

describe('package purity', () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts'));

  it.each(files.filter((f) => !NODE_ONLY.has(f)))('%s imports no node module, koffi or syscall', (file) => {
    const text = readFileSync(join(SRC, file), 'utf8');
    for (const spec of importsOf(file))
      expect(spec, `${file} imports ${spec}`).toMatch(/^(\.\/[\w-]+\.js|@ts-ebpf\/uapi)$/);
    expect(text).not.toMatch(/reference types=|\bprocess\.|\bBuffer\b|require\(/);
  });

  it('the root entry reaches no node-only module; the kernel subpath holds them', () => {
    const root = closure('index.ts');
    for (const f of NODE_ONLY) expect(root.has(f), `index.ts reaches ${f}`).toBe(false);
    const kernel = closure('kernel.ts');
    expect(
      kernel.has('load.ts') &&
        kernel.has('kernel-btf.ts') &&
        kernel.has('btf-objects.ts') &&
        kernel.has('btf-object-data.ts'),
    ).toBe(true);
  });

  it('only load.ts, btf-objects.ts and btf-object-data.ts touch @ts-ebpf/syscall and only node-only modules use node:', () => {
    for (const f of files) {
      const text = readFileSync(join(SRC, f), 'utf8');
      if (text.includes("'@ts-ebpf/syscall'")) expect(SYSCALL_USERS).toContain(f);
      if (text.includes("'node:")) expect(['kernel-btf.ts']).toContain(f);
    }
  });

  it('exports ./kernel beside the root, with the source condition and a build entry', () => {
    const pkg = JSON.parse(readFileSync(PKG, 'utf8'));
    expect(pkg.exports['./kernel']['@ts-ebpf/source']).toBe('./src/kernel.ts');
    expect(pkg.exports['./kernel'].import.default).toBe('./dist/kernel.js');
    expect(pkg.exports['./kernel'].require.default).toBe('./dist/kernel.cjs');
    expect(pkg.scripts.build).toContain('src/kernel.ts');
  });

  it('keeps every source file under 400 lines', () => {
    for (const f of files) expect(readFileSync(join(SRC, f), 'utf8').split('\n').length, f).toBeLessThan(400);
  });
});
