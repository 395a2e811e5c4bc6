import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { keepTopLevelConst } from '../keep-top-level-const.mjs';

const rewrite = (text: string): { text: string; rewritten: number } => keepTopLevelConst(text, 'bundle.js');

describe('keepTopLevelConst', () => {
  it('makes a top-level var that is never assigned const, with its destructuring', () => {
    const { text, rewritten } = rewrite('var a = 1;\nvar { b, c: [d] } = obj;\nexport { a, b, d };\n');
    expect(text).toBe('const a = 1;\nconst { b, c: [d] } = obj;\nexport { a, b, d };\n');
    expect(rewritten).toBe(2);
  });

  it.each([
    ['an assignment', 'var a = 1;\nfunction f() { a = 2; }'],
    ['a compound assignment', 'var a = 1;\nfunction f() { a ??= 2; }'],
    ['a prefix increment', 'var a = 0;\nconst s = String(++a);'],
    ['a postfix decrement', 'var a = 0;\nfunction f() { a--; }'],
    ['an array destructuring assignment', 'var a = 0;\n[x, a] = pair;'],
    ['an object destructuring assignment', 'var a = 0;\n({ a } = obj);'],
    ['a renamed destructuring assignment with a default', 'var a = 0;\n({ k: a = 1 } = obj);'],
    ['a spread in a destructuring assignment', 'var a = 0;\n[...a] = list;'],
    ['a for-of target', 'var a = 0;\nfor (a of list) {}'],
    ['a for-in target', 'var a = 0;\nfor (a in obj) {}'],
    ['a shadowing local assigned', 'var a = 0;\nfunction f() { let a; a = 1; }'],
    ['no initializer', 'var a;\nexport { a };'],
    ['a second declaration', 'var a = 1;\nvar a = 2;'],
    ['a function of the same name', 'var a = 1;\nfunction a() {}'],
  ])('keeps var for %s', (_what, source) => {
    const { text, rewritten } = rewrite(source);
    expect(rewritten).toBe(0);
    expect(text).toBe(source);
  });

  it('keeps a statement var when one of its names is assigned', () => {
    const source = 'var a = 1, b = 2;\nb = 3;';
    expect(rewrite(source).text).toBe(source);
  });

  it('leaves declarations inside functions and blocks alone', () => {
    const source = 'function f() { var a = 1; return a; }\n{ var b = 2; }';
    expect(rewrite(source).rewritten).toBe(0);
  });

  it('rewrites a dist directory in place, and the result still runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-keep-const-'));
    try {
      writeFileSync(join(dir, 'index.js'), 'var n = 41;\nvar add = (x) => x + n;\nconsole.log(add(1));\n');
      writeFileSync(join(dir, 'index.cjs'), 'var k = 1;\nk++;\nconsole.log(k);\n');
      writeFileSync(join(dir, 'notes.txt'), 'var a = 1;\n');
      const script = new URL('../keep-top-level-const.mjs', import.meta.url).pathname;
      execFileSync(process.execPath, [script, dir]);
      expect(readFileSync(join(dir, 'index.js'), 'utf8')).toBe(
        'const n = 41;\nconst add = (x) => x + n;\nconsole.log(add(1));\n',
      );
      expect(readFileSync(join(dir, 'index.cjs'), 'utf8')).toBe('var k = 1;\nk++;\nconsole.log(k);\n');
      expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('var a = 1;\n');
      expect(execFileSync(process.execPath, [join(dir, 'index.js')], { encoding: 'utf8' })).toBe('42\n');
      expect(execFileSync(process.execPath, [join(dir, 'index.cjs')], { encoding: 'utf8' })).toBe('2\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rewrites when run through a symlink to the script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-keep-const-'));
    try {
      const script = new URL('../keep-top-level-const.mjs', import.meta.url).pathname;
      symlinkSync(script, join(dir, 'link.mjs'));
      writeFileSync(join(dir, 'index.js'), 'var n = 1;\n');
      execFileSync(process.execPath, [join(dir, 'link.mjs'), dir]);
      expect(readFileSync(join(dir, 'index.js'), 'utf8')).toBe('const n = 1;\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails when run without a directory', () => {
    const script = new URL('../keep-top-level-const.mjs', import.meta.url).pathname;
    expect(() => execFileSync(process.execPath, [script], { stdio: 'pipe' })).toThrow(/usage/);
  });
});
