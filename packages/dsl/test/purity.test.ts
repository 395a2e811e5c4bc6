import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const RUNTIME_LOOKUP = /\(globalThis as \{ Buffer\?: NodeBufferClass \}\)\.Buffer/g;

describe('src/ is pure TypeScript for any JS runtime', () => {
  it.each(sources(SRC).map((f) => [f.slice(SRC.length), f]))(
    '%s uses no Node API, FFI or syscall package',
    (_n, f) => {
      // A runtime's globals may be looked up (not imported) for a fast path with a pure fallback:
      // text-sink.ts uses Node's Buffer for Latin-1 strings where there is one.
      const text = readFileSync(f, 'utf8').replace(RUNTIME_LOOKUP, '');
      expect(text).not.toMatch(/from ['"]node:|require\(|\bprocess\.|\bBuffer\b|koffi|@ts-ebpf\/syscall/);
    },
  );

  it('keeps every source file under 400 lines', () => {
    for (const f of sources(SRC)) expect(readFileSync(f, 'utf8').split('\n').length, f).toBeLessThan(400);
  });
});
