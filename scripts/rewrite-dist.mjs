/**
 * The command-line half of the post-build scripts (`node scripts/<script>.mjs <dist directory>`):
 * each rewrites some files of a package's build in place.
 */
import { readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * When the module of `metaUrl` is the one Node runs (not imported by its test), rewrites each
 * file of the directory named on the command line whose name ends with one of `suffixes`:
 * `rewrite(text, path)` gives the new text, written only when it differs. Node names the main
 * module by its real path, so the command line's path is resolved first: run through a symlink,
 * the script would otherwise do nothing.
 */
export function rewriteDistWhenMain(metaUrl, suffixes, rewrite) {
  const script = process.argv[1];
  if (script === undefined || fileURLToPath(metaUrl) !== realpathSync(script)) return;
  const dir = process.argv[2];
  if (!dir) throw new Error(`usage: ${script} <dist directory>`);
  for (const name of readdirSync(dir)) {
    if (!suffixes.some((s) => name.endsWith(s))) continue;
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    const out = rewrite(text, path);
    if (out !== text) writeFileSync(path, out);
  }
}
