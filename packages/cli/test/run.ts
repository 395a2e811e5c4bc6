/**
 * Test helpers: run the CLI in-process through `main`, run bpftool, and name pins uniquely.
 */
import { execFileSync } from 'node:child_process';
import { main } from '../src/main.js';

/** What one CLI run printed and returned. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ts-ebpf argv…` in-process and collects its output. */
export async function cli(argv: readonly string[], options: { color?: boolean } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    color: options.color ?? false,
  });
  return { code, stdout, stderr };
}

/** Runs the CLI in-process, expects exit 0, and parses its JSON output. */
export async function cliJson<T = unknown>(argv: readonly string[]): Promise<T> {
  const r = await cli([...argv, '--json']);
  if (r.code !== 0) throw new Error(`ts-ebpf ${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs `bpftool -j args…` and parses its JSON output. */
export function bpftoolJson<T = unknown>(...args: string[]): T {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })) as T;
}

/** A bpffs path no other test (or engineer) uses. */
export function uniquePin(what: string): string {
  return `/sys/fs/bpf/ts-ebpf-cli-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
