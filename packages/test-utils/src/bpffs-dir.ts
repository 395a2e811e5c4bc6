import { rmSync } from 'node:fs';
import { onTestFinished } from 'vitest';

let made = 0;

/**
 * A directory path under /sys/fs/bpf that does not exist yet, unique to this process and call
 * (`/sys/fs/bpf/<label>-<pid>-<n>`), removed with everything in it when the running test
 * finishes, passed or failed: for tests that pin, so that no pin outlives them.
 */
export function bpffsTestDir(label: string): string {
  const dir = `/sys/fs/bpf/${label}-${process.pid}-${made++}`;
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
