import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface PackageJson {
  name: string;
  private?: boolean;
  license?: string;
  main?: string;
  module?: string;
  types?: string;
  exports?: Record<string, unknown>;
}

interface PackResult {
  name: string;
  files: { path: string }[];
}

/** The directory name and package.json of every published (non-private) package. */
const PUBLISHED = readdirSync(join(ROOT, 'packages'))
  .map((dir) => ({
    dir,
    pkg: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as PackageJson,
  }))
  .filter(({ pkg }) => !pkg.private);

/**
 * What `npm pack` would put in each published package's tarball, as the workspace-wide dry run
 * lists it (the dry run runs each package's `prepack` script, as `npm publish` does). What needs
 * dist (every exports path packed, declarations TypeScript 5.2 reads) is checked by
 * scripts/check-dist.mjs, which `npm run build` runs.
 */
describe('published package tarballs', () => {
  let packed: Map<string, Set<string>>;
  beforeAll(() => {
    // The copies a previous pack left behind (git-ignored) must not stand in for the prepack step.
    for (const { dir } of PUBLISHED) rmSync(join(ROOT, 'packages', dir, 'LICENSE'), { force: true });
    const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--workspaces'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results = JSON.parse(json) as PackResult[];
    packed = new Map(results.map((r) => [r.name, new Set(r.files.map((f) => f.path))]));
  }, 120_000);

  it('each holds the repository LICENSE (the MIT text its package.json names)', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the ts-ebpf authors\n/);
    for (const { dir, pkg } of PUBLISHED) {
      expect(pkg.license, pkg.name).toBe('MIT');
      expect(packed.get(pkg.name)?.has('LICENSE'), `${pkg.name} tarball lists LICENSE`).toBe(true);
      expect(readFileSync(join(ROOT, 'packages', dir, 'LICENSE'), 'utf8'), `${pkg.name} LICENSE`).toBe(
        license,
      );
    }
  });

  it('each holds its README and package.json', () => {
    for (const { pkg } of PUBLISHED) {
      const files = packed.get(pkg.name);
      expect(files?.has('README.md'), `${pkg.name} README.md`).toBe(true);
      expect(files?.has('package.json'), `${pkg.name} package.json`).toBe(true);
    }
  });
});
