import { existsSync, readdirSync } from 'node:fs';

/** Where the tests pin (each under a directory of its own, removed when it ends). */
const BPFFS = '/sys/fs/bpf';

const entries = (): string[] => (existsSync(BPFFS) ? readdirSync(BPFFS) : []);

/**
 * Vitest global setup: the whole run must leave bpffs as it found it. A pin a test made outside
 * a directory it removes (a map pinned by name at the default root, a guide snippet's demo
 * directory) outlives the process and changes what the next run finds there.
 */
export default function setup(): () => void {
  const before = new Set(entries());
  return () => {
    const left = entries().filter((name) => !before.has(name));
    if (left.length === 0) return;
    // vitest prints an error thrown here but keeps its exit code: fail the run as well
    process.exitCode = 1;
    throw new Error(
      `the tests left these in ${BPFFS}: ${left.join(', ')} (pin under a directory the test removes)`,
    );
  };
}
