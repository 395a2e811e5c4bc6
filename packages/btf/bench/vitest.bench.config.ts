import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../../vitest.shared.js';

/**
 * Runs bench/*.bench.ts as plain vitest files (no build needed, sources resolve through
 * the `@ts-ebpf/source` condition) and prints their figures.
 */
export default defineConfig({
  ...sharedConfig,
  test: { ...sharedConfig.test, include: ['bench/**/*.bench.ts'], setupFiles: [], testTimeout: 300_000 },
});
