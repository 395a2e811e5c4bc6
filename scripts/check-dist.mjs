#!/usr/bin/env node
/**
 * Checks the built packages, after `npm run build` (which runs it): every file a published
 * package's `exports` (or `main`/`module`/`types`) points a consumer at is in its tarball as
 * `npm pack` would make it, and no declaration names a generic typed array
 * (`Uint8Array<ArrayBufferLike>`, what the declaration emitter prints for an inferred `Uint8Array`
 * under TypeScript 5.7+: consumers on TypeScript 5.2-5.6 fail on it with TS2315 without
 * skipLibCheck). Exits 1 naming each problem. These need dist, which the tests run before
 * (scripts/test/package-tarballs.test.ts checks what needs no build).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const GENERIC_TYPED_ARRAY =
  /\b(?:(?:Ui|I)nt(?:8|16|32)|Uint8Clamped|Float(?:32|64)|Big(?:Ui|I)nt64)Array<|\bDataView</;

const published = readdirSync(join(ROOT, 'packages'))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

/** Every file path a package's exports map (or main/module/types) points at, the source condition aside. */
function entryPoints(pkg) {
  const out = new Set();
  const walk = (value, condition) => {
    if (condition === '@ts-ebpf/source') return;
    if (typeof value === 'string') out.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(pkg.exports, '');
  for (const field of [pkg.main, pkg.module, pkg.types]) walk(field, '');
  return [...out];
}

const packed = new Map(
  JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--workspaces'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ).map((r) => [r.name, new Set(r.files.map((f) => f.path))]),
);

const problems = [];
for (const { dir, pkg } of published) {
  const files = packed.get(pkg.name);
  for (const entry of entryPoints(pkg))
    if (!files?.has(entry))
      problems.push(`${pkg.name}: its tarball lacks ${entry}, which package.json points at`);
  const dist = join(ROOT, 'packages', dir, 'dist');
  for (const name of readdirSync(dist).filter((n) => /\.d\.c?ts$/.test(n)))
    if (GENERIC_TYPED_ARRAY.test(readFileSync(join(dist, name), 'utf8')))
      problems.push(
        `packages/${dir}/dist/${name} names a generic typed array (TypeScript before 5.7 reads none)`,
      );
}
for (const p of problems) console.error(`check-dist: ${p}`);
if (problems.length > 0) process.exit(1);
console.log(
  `check-dist: ${published.length} packages: entry points packed, declarations readable by TypeScript 5.2+`,
);
