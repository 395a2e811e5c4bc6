import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;
const files = readdirSync(SRC).filter((f) => f.endsWith('.ts'));

describe('src/ is pure TypeScript for any JS runtime', () => {
  it.each(files)('%s uses no Node API, FFI or syscall package, and imports only dsl and uapi', (f) => {
    const text = readFileSync(join(SRC, f), 'utf8');
    expect(text).not.toMatch(/from ['"]node:|require\(|\bprocess\.|\bBuffer\b|koffi|@ts-ebpf\/syscall/);
    for (const m of text.matchAll(/from '(@[^']+)'/g))
      expect(['@ts-ebpf/dsl', '@ts-ebpf/uapi']).toContain(m[1]);
  });

  it('keeps every source file under 400 lines', () => {
    for (const f of files) expect(readFileSync(join(SRC, f), 'utf8').split('\n').length, f).toBeLessThan(400);
  });
});
