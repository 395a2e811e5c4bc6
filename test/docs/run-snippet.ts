import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from './markdown.js';
import type { Snippet } from './snippets.js';

const run = promisify(execFile);

/** `--import` arguments for modules to load before a snippet or example, by path. */
export function importArgs(preload: readonly string[]): string[] {
  return preload.flatMap((path) => ['--import', pathToFileURL(path).href]);
}

/** The marker word of a block's info string that asks for it to be run (`ts run`). */
export const RUN = 'run';

/** True for a snippet marked to be run. */
export function isRunnable(snippet: Snippet): boolean {
  return snippet.optOut === undefined && snippet.meta.split(/\s+/).includes(RUN);
}

/** What a snippet's `// → text` comments say it prints, in order. */
export function expectedOutput(code: string): string[] {
  return [...code.matchAll(/\/\/ → ?(.*)$/gm)].map((m) => m[1]!.trim());
}

/**
 * Runs a snippet as its own ES module with tsx, from a temporary directory inside the repository
 * (so `@ts-ebpf/*` imports resolve to the workspace sources), and returns its stdout lines.
 * A snippet that throws or exits non-zero rejects with its stderr. `preload`: modules imported
 * first (`node --import`), by path. `cwd`: the directory it runs in (where its relative paths
 * lead); it must be inside the repository, so that `tsx` resolves.
 */
export async function runSnippet(
  snippet: Snippet,
  preload: readonly string[] = [],
  cwd: string = REPO_ROOT,
): Promise<string[]> {
  const dir = mkdtempSync(join(REPO_ROOT, 'test', 'docs', '.run-'));
  try {
    const file = join(dir, 'snippet.mts');
    writeFileSync(file, `${snippet.context ? `${snippet.context}\n` : ''}${snippet.code}\nexport {};\n`);
    const { stdout } = await run(
      process.execPath,
      [...importArgs(preload), '--import', 'tsx', '--conditions=@ts-ebpf/source', file],
      { cwd, timeout: 60_000 },
    );
    return stdout.split('\n').filter((line) => line !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
