import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** Every file path an `exports` map (or `main`/`module`/`types`) points a consumer at, source condition aside. */
function entryPoints(pkg: PackageJson): string[] {
  const out = new Set<string>();
  const walk = (value: unknown, condition: string): void => {
    if (condition === '@ts-ebpf/source') return;
    if (typeof value === 'string') out.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(pkg.exports, '');
  for (const field of [pkg.main, pkg.module, pkg.types]) walk(field, '');
  return [...out];
}

/**
 * What `npm pack` would put in each published package's tarball, as the workspace-wide dry run
 * lists it (the dry run runs each package's `prepack` script, as `npm publish` does).
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

  const built = PUBLISHED.every(({ dir }) => existsSync(join(ROOT, 'packages', dir, 'dist')));
  it.skipIf(!built)('each holds every file its exports point at (needs `npm run build`)', () => {
    for (const { pkg } of PUBLISHED) {
      const files = packed.get(pkg.name);
      for (const entry of entryPoints(pkg)) expect(files?.has(entry), `${pkg.name}: ${entry}`).toBe(true);
    }
  });

  it.skipIf(!built)('declarations name no generic typed array (TypeScript before 5.7 reads none)', () => {
    // `Uint8Array<ArrayBufferLike>` is what the declaration emitter prints for an inferred
    // `Uint8Array` under TypeScript 5.7+; older consumers fail with TS2315 without skipLibCheck.
    const generic =
      /\b(?:(?:Ui|I)nt(?:8|16|32)|Uint8Clamped|Float(?:32|64)|Big(?:Ui|I)nt64)Array<|\bDataView</;
    for (const { dir } of PUBLISHED) {
      const dist = join(ROOT, 'packages', dir, 'dist');
      for (const name of readdirSync(dist).filter((n) => /\.d\.c?ts$/.test(n)))
        expect(readFileSync(join(dist, name), 'utf8'), `${dir}/dist/${name}`).not.toMatch(generic);
    }
  });
});
