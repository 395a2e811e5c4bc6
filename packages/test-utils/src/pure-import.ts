/**
 * Runs a script in a child Node process where native code cannot load: importing `koffi`
 * throws, and (optionally) modules under given source directories may not import any Node
 * built-in. Tests use it to prove that package entries import cleanly and that their pure APIs
 * work without FFI, as in a browser or a bundler.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file is packages/test-utils/src/pure-import.ts). */
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** Options of {@link runWithoutNative}. */
export interface PureImportOptions {
  /**
   * Source directories (absolute) whose modules may import no Node built-in (`node:fs`, `fs` …):
   * such an import fails in the child, naming the module and the built-in.
   */
  readonly noNodeIn?: readonly string[];
  /** Milliseconds before the child is killed (default 60 s). */
  readonly timeoutMs?: number;
}

/** What the child did. */
export interface PureImportResult {
  /** Exit status (null when killed). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The message a refused import fails with, so tests can tell it from other failures. */
export const REFUSED = 'refused by the pure-import test';

// Runs in the loader thread: refuses `koffi` everywhere, Node built-ins from the listed dirs.
const HOOKS = `
let builtins = new Set();
let noNodeIn = [];
export function initialize(data) {
  builtins = new Set(data.builtins);
  noNodeIn = data.noNodeIn;
}
export async function resolve(specifier, context, next) {
  if (specifier === 'koffi' || specifier.startsWith('koffi/')) {
    throw new Error('${REFUSED}: koffi may not load (imported from ' + context.parentURL + ')');
  }
  const builtin = specifier.startsWith('node:') || builtins.has(specifier);
  if (builtin && context.parentURL && noNodeIn.some((dir) => context.parentURL.startsWith(dir))) {
    throw new Error('${REFUSED}: ' + context.parentURL + ' imports the Node built-in ' + specifier);
  }
  return next(specifier, context);
}
`;

// Runs first in the child: installs the hooks, and refuses koffi to CommonJS require() too
// (the ESM hooks of Node 20 do not see it).
function setup(hooksUrl: string, noNodeIn: readonly string[]): string {
  return `
import { register } from 'node:module';
import Module from 'node:module';
register(${JSON.stringify(hooksUrl)}, {
  data: { builtins: ${JSON.stringify(builtinModules)}, noNodeIn: ${JSON.stringify(noNodeIn)} },
});
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'koffi' || request.startsWith('koffi/')) {
    throw new Error('${REFUSED}: koffi may not load (required)');
  }
  return original.call(this, request, ...rest);
};
`;
}

/**
 * Runs `script` (an ES module in TypeScript, resolved from the repository root with the
 * `@ts-ebpf/source` condition, through tsx) in a child process where koffi cannot load.
 */
export function runWithoutNative(script: string, options: PureImportOptions = {}): PureImportResult {
  const dir = join(ROOT, 'node_modules', '.cache', 'ts-ebpf-pure-import', `${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  try {
    const hooks = join(dir, 'hooks.mjs');
    const pre = join(dir, 'setup.mjs');
    const main = join(dir, 'script.mts');
    const noNodeIn = (options.noNodeIn ?? []).map((d) => pathToFileURL(resolve(d)).href);
    writeFileSync(hooks, HOOKS);
    writeFileSync(pre, setup(pathToFileURL(hooks).href, noNodeIn));
    writeFileSync(main, script);
    const child = spawnSync(
      process.execPath,
      ['--conditions=@ts-ebpf/source', '--import', 'tsx', '--import', pathToFileURL(pre).href, main],
      { cwd: ROOT, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 },
    );
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
