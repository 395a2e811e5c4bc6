import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { keepClassNames } from '../keep-class-names.mjs';

const ROOT = join(import.meta.dirname, '..', '..');

interface Result {
  text: string;
  classes: string[];
  renamed: string[];
}
const rewrite = (text: string): Result => keepClassNames(text, 'bundle.js');

/** Runs `code` as a CommonJS module body and gives back its `module.exports`. */
function run(code: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', code)(module);
  return module.exports;
}

describe('keepClassNames', () => {
  it('names a self-referencing class as its binding, and its body still means the class', () => {
    const source =
      'const Link = class _Link {\n  static open() { return new _Link(); }\n  get self() { return _Link; }\n};\n';
    const { text, classes } = rewrite(source);
    expect(text).toBe(
      'const Link = class Link {\n  static open() { return new Link(); }\n  get self() { return Link; }\n};\n',
    );
    expect(classes).toEqual(['Link']);
    const { Link } = run(`${text}module.exports = { Link };`) as {
      Link: { name: string; open(): { self: unknown } };
    };
    expect(Link.name).toBe('Link');
    expect(Link.open().self).toBe(Link);
    expect(String(Link.open().constructor.name)).toBe('Link');
  });

  it('leaves property names that spell the inner name alone', () => {
    const { text } = rewrite('var M = class _M {\n  _M() { return this._M2 ?? { _M: _M }; }\n};\n');
    expect(text).toBe('var M = class M {\n  _M() { return this._M2 ?? { _M: M }; }\n};\n');
  });

  it('leaves classes named as their bindings and anonymous ones alone', () => {
    const source = 'const A = class A {};\nconst B = class extends A {};\nclass C {}\n';
    expect(rewrite(source)).toEqual({ text: source, classes: [], renamed: [] });
  });

  it('refuses a class body that also uses the outer name', () => {
    expect(() => rewrite('var P = class _P {\n  f() { const P = 1; return [P, _P]; }\n};\n')).toThrow(
      'class _P (bound to P) also uses the name P inside',
    );
  });

  it('names a number-renamed function by its export (ESM and CJS), not a deliberate alias', () => {
    const esm = rewrite(
      'function reg2(n) { return n; }\nfunction checkSpec() {}\nexport { checkSpec as checkMapSpec, reg2 as reg };\n',
    );
    expect(esm.renamed).toEqual(['reg']);
    expect(esm.text).toBe(
      'function reg2(n) { return n; }\nObject.defineProperty(reg2, "name", { value: "reg" });\nfunction checkSpec() {}\nexport { checkSpec as checkMapSpec, reg2 as reg };\n',
    );
    const cjs = rewrite(
      'var m = {};\n__export(m, { reg: () => reg2 });\nconst reg2 = (n) => n;\nmodule.exports = { reg: reg2 };\n',
    );
    expect(cjs.renamed).toEqual(['reg']);
    const exports = run(`const __export = () => {};\n${cjs.text}`) as { reg: { name: string } };
    expect(exports.reg.name).toBe('reg');
  });

  it('rewrites a dist directory in place', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-keep-names-'));
    try {
      writeFileSync(join(dir, 'index.js'), 'const X = class _X {};\nconsole.log(X.name);\n');
      const script = new URL('../keep-class-names.mjs', import.meta.url).pathname;
      execFileSync(process.execPath, [script, dir]);
      expect(readFileSync(join(dir, 'index.js'), 'utf8')).toBe(
        'const X = class X {};\nconsole.log(X.name);\n',
      );
      expect(execFileSync(process.execPath, [join(dir, 'index.js')], { encoding: 'utf8' })).toBe('X\n');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

/** Each published package with a build: its directory and name. */
const BUILT = readdirSync(join(ROOT, 'packages'))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ dir, pkg }) => !pkg.private && existsSync(join(ROOT, 'packages', dir, 'dist', 'index.js')));

/** The `name` of each function a built entry exports, read by a plain `node` (no source condition). */
function builtNames(entry: string, format: 'esm' | 'cjs'): Record<string, string> {
  const load =
    format === 'esm'
      ? `await import(${JSON.stringify(pathToFileURL(entry).href)})`
      : `require(${JSON.stringify(entry)})`;
  const code = `const m = ${load}; const out = {}; for (const k of Object.keys(m)) if (typeof m[k] === 'function') out[k] = m[k].name; console.log(JSON.stringify(out));`;
  const args = format === 'esm' ? ['--input-type=module', '-e', code] : ['-e', code];
  return JSON.parse(
    execFileSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }),
  );
}

describe.skipIf(BUILT.length === 0)('built packages (needs `npm run build`)', () => {
  it.each(BUILT)(
    '$pkg.name: every exported class and function has its source name, ESM and CJS',
    async ({ dir }) => {
      const source = (await import(
        /* @vite-ignore */ pathToFileURL(join(ROOT, 'packages', dir, 'src', 'index.ts')).href
      )) as Record<string, unknown>;
      const expected = Object.fromEntries(
        Object.keys(source)
          .filter((k) => typeof source[k] === 'function')
          .map((k) => [k, (source[k] as { name: string }).name]),
      );
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      const dist = join(ROOT, 'packages', dir, 'dist');
      expect(builtNames(join(dist, 'index.js'), 'esm')).toEqual(expected);
      expect(builtNames(join(dist, 'index.cjs'), 'cjs')).toEqual(expected);
    },
  );
});
