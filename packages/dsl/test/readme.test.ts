import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as dsl from '../src/index.js';

/**
 * Runs every ```ts block of README.md against src/ (```typescript blocks need a kernel and
 * are not run). Each `console.log` must print what its `// → …` comment says; a block may
 * instead end with `// → …` lines listing its logs in order.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

function expectedLogs(code: string): string[] {
  return [...code.matchAll(/\/\/ → ?(.*)$/gm)].map((m) => m[1]!);
}

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });

  it.each(blocks.map((code, i) => [i + 1, code] as const))(
    'block %i runs and prints what it says',
    (_i, code) => {
      const body = code.replace(
        /import \{([^}]*)\} from '@ts-ebpf\/dsl';/,
        (_m, names: string) => `const {${names}} = dsl;`,
      );
      const logs: string[] = [];
      const console = { log: (...args: unknown[]) => logs.push(args.map(String).join(' ')) };
      new Function('dsl', 'console', body)(dsl, console);
      expect(logs).toEqual(expectedLogs(code));
    },
  );
});

describe('README examples type-check', () => {
  it('every ts and typescript block compiles under the repo settings', async () => {
    const ts = (await import('typescript')).default;
    const dir = mkdtempSync(join(tmpdir(), 'dsl-readme-'));
    try {
      const all = [...readme.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map((m) => m[1]!);
      const files = all.map((code, i) => {
        const file = join(dir, `block${i + 1}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        return file;
      });
      const program = ts.createProgram(files, {
        noEmit: true,
        strict: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        customConditions: ['@ts-ebpf/source'],
        types: ['node'],
        typeRoots: [fileURLToPath(new URL('../../../node_modules/@types', import.meta.url))],
        paths: {
          '@ts-ebpf/dsl': [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
          '@ts-ebpf/syscall': [fileURLToPath(new URL('../../syscall/src/index.ts', import.meta.url))],
        },
        skipLibCheck: true,
        allowImportingTsExtensions: true,
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((diag) => diag.file && files.includes(diag.file.fileName))
        .map(
          (diag) =>
            `${diag.file!.fileName.slice(dir.length + 1)}: ${ts.flattenDiagnosticMessageText(diag.messageText, '\n')}`,
        );
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
