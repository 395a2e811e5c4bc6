import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './markdown.js';

interface TypedocConfig {
  readonly projectDocuments?: readonly string[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The files a `projectDocuments` entry names (a path, or a `dir/*.md` glob), relative to the root. */
function expand(base: string, entry: string): string[] {
  const path = join(base, entry);
  if (!entry.includes('*')) return [relative(REPO_ROOT, path)];
  const dir = dirname(path);
  const pattern = new RegExp(
    `^${path
      .slice(dir.length + 1)
      .replace(/\./g, '\\.')
      .replace(/\*/g, '.*')}$`,
  );
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => pattern.test(name))
        .map((name) => relative(REPO_ROOT, join(dir, name)))
    : [];
}

const publicPackages = readdirSync(join(REPO_ROOT, 'packages')).filter((name) => {
  const manifest = join(REPO_ROOT, 'packages', name, 'package.json');
  return existsSync(manifest) && readJson<{ private?: boolean }>(manifest).private !== true;
});

/** Document → where the typedoc configuration includes it (`root` or the package's name). */
function siteDocuments(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (file: string, owner: string) => out.set(file, [...(out.get(file) ?? []), owner]);
  const root = readJson<TypedocConfig>(join(REPO_ROOT, 'typedoc.json'));
  for (const entry of root.projectDocuments ?? []) for (const f of expand(REPO_ROOT, entry)) add(f, 'root');
  for (const pkg of publicPackages) {
    const config = join(REPO_ROOT, 'packages', pkg, 'typedoc.json');
    if (!existsSync(config)) continue;
    for (const entry of readJson<TypedocConfig>(config).projectDocuments ?? [])
      for (const f of expand(join(REPO_ROOT, 'packages', pkg), entry)) add(f, pkg);
  }
  return out;
}

const markdownIn = (dir: string) =>
  existsSync(join(REPO_ROOT, dir))
    ? readdirSync(join(REPO_ROOT, dir))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `${dir}/${name}`)
    : [];

describe('the typedoc site', () => {
  const documents = siteDocuments();

  it('names only documents that exist (typedoc fails on a missing one)', () => {
    expect([...documents.keys()].filter((f) => !existsSync(join(REPO_ROOT, f)))).toEqual([]);
  });

  it('includes every guide and migration page exactly once', () => {
    const pages = [...markdownIn('docs/guides'), ...markdownIn('docs/migration')];
    expect(pages.length).toBeGreaterThan(10);
    expect(
      pages
        .filter((f) => documents.get(f)?.length !== 1)
        .map((f) => `${f}: ${documents.get(f) ?? 'missing'}`),
    ).toEqual([]);
  });

  it.each(publicPackages)('puts a guide beside the API of %s', (pkg) => {
    const own = [...documents].filter(([f, owners]) => owners.includes(pkg) && f.startsWith('docs/guides/'));
    expect(own.length).toBeGreaterThan(0);
  });
});

describe('package READMEs', () => {
  it.each(publicPackages)('%s: an install line and links to its guide and API', (pkg) => {
    const readme = readFileSync(join(REPO_ROOT, 'packages', pkg, 'README.md'), 'utf8');
    expect(readme).toContain(`npm install @ts-ebpf/${pkg}`);
    expect(readme).toMatch(/\]\(\.\.\/\.\.\/docs\/guides\/[a-z-]+\.md\)/);
    expect(readme).toContain('API reference');
    expect(readme).toMatch(/^```(ts|typescript)/m);
  });
});

describe('the README', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const table = new Set(
    [...readme.matchAll(/^\| \[`(@ts-ebpf\/[a-z-]+)`\]\(packages\/([a-z-]+)\/README\.md\)/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    ),
  );

  it.each(publicPackages)('lists %s in its table of packages', (pkg) => {
    const name = readJson<{ name: string }>(join(REPO_ROOT, 'packages', pkg, 'package.json')).name;
    expect(table.has(`${name} ${pkg}`)).toBe(true);
  });
});
