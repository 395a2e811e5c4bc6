import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

/**
 * The version of `@ts-ebpf/cli` that is running, from its package.json (one directory above
 * both `src/` and `dist/`): what `ts-ebpf --version` prints.
 * @throws CliError when the package.json cannot be read or has no version
 */
export function cliVersion(): string {
  const url = new URL('../package.json', import.meta.url);
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown }).version;
  } catch (e) {
    throw new CliError(`cannot read the version of @ts-ebpf/cli from ${url.pathname}`, { cause: e });
  }
  if (typeof version !== 'string') throw new CliError(`${url.pathname} has no version`);
  return version;
}
