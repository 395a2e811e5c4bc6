import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { NODE_TYPES_REFERENCE, referenceNodeTypes } from '../reference-node-types.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');

/** A declaration file as the bundler writes one for a package that uses Node's types. */
const DECLARATIONS =
  "import { EventEmitter } from 'node:events';\nexport declare function watch(signal: AbortSignal): EventEmitter;\n";

/**
 * Type-checks a consumer of a package whose declarations are `dts`, as a project with no `types`
 * setting (TypeScript 6+: no global types unless listed). The diagnostics' texts.
 */
function consumerErrors(dts: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'node-types-'));
  try {
    mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'));
    writeFileSync(join(dir, 'node_modules', 'pkg', 'package.json'), '{"name":"pkg","types":"index.d.ts"}');
    writeFileSync(join(dir, 'node_modules', 'pkg', 'index.d.ts'), dts);
    writeFileSync(join(dir, 'main.ts'), "import { watch } from 'pkg';\nexport const e = watch;\n");
    const program = ts.createProgram([join(dir, 'main.ts')], {
      noEmit: true,
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('referenceNodeTypes', () => {
  it('puts the reference first, once', () => {
    const once = referenceNodeTypes(DECLARATIONS);
    expect(once).toBe(`${NODE_TYPES_REFERENCE}\n${DECLARATIONS}`);
    expect(referenceNodeTypes(once)).toBe(once);
  });

  it("lets a consumer without Node in its types use the package's declarations", () => {
    expect(consumerErrors(DECLARATIONS).join('\n')).toMatch(/Cannot find name 'node:events'|AbortSignal/);
    expect(consumerErrors(referenceNodeTypes(DECLARATIONS))).toEqual([]);
  });

  it('runs in the build of every package that depends on @types/node', () => {
    const packages = readdirSync(join(ROOT, 'packages')).filter((p) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', p, 'package.json'), 'utf8'));
      return pkg.private !== true && pkg.dependencies?.['@types/node'] !== undefined;
    });
    expect(packages.length).toBeGreaterThan(0);
    for (const p of packages) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', p, 'package.json'), 'utf8'));
      expect(pkg.scripts.build, p).toContain('node ../../scripts/reference-node-types.mjs dist');
    }
  });
});
