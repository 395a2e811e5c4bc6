import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bench-report.js';

/**
 * Runs the TypeScript module `script` (through tsx, with the `@ts-ebpf/source` condition) in a
 * child Node process where code cannot be made from strings
 * (`--disallow-code-generation-from-strings`: `eval` and `new Function` throw EvalError), for
 * the code paths that make functions from source text and must work without.
 * @returns what the child printed on stdout
 * @throws the child's failure (non-zero exit), with its stderr
 */
export function runWithoutEval(script: URL): string {
  return execFileSync(
    process.execPath,
    [
      '--disallow-code-generation-from-strings',
      '--import',
      'tsx',
      '--conditions=@ts-ebpf/source',
      fileURLToPath(script),
    ],
    { encoding: 'utf8', cwd: REPO_ROOT },
  );
}
