import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bench-report.js';

/**
 * Runs the TypeScript module `script` (through tsx, with the `@ts-ebpf/source` condition, from
 * the repository root) in a child Node process with `args`, for what a test cannot do in its own
 * process (end it, crash it, watch its exit, run it with fewer privileges). `through`: a command
 * the child is started by (`['setpriv', '--bounding-set=-syslog']`), which runs Node with the
 * rest. @returns the child's status, signal and output.
 */
export function runTsChild(
  script: URL,
  args: readonly string[] = [],
  timeoutMs = 60_000,
  through: readonly string[] = [],
): SpawnSyncReturns<string> {
  const node = [
    process.execPath,
    '--import',
    'tsx',
    '--conditions=@ts-ebpf/source',
    fileURLToPath(script),
    ...args,
  ];
  const [command, ...rest] = [...through, ...node];
  return spawnSync(command!, rest, { encoding: 'utf8', cwd: REPO_ROOT, timeout: timeoutMs });
}
