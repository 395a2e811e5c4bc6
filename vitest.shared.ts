import { defineConfig } from 'vitest/config';

/**
 * Test configuration shared by every package. Sources are resolved through the
 * `@ts-ebpf/source` export condition, so tests run against `src/` without a build.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@ts-ebpf/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@ts-ebpf/source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // A Node deprecation warning (e.g. DEP0112 for reading a socket's private `_handle`)
    // throws where it is raised, so the test that causes it fails instead of printing it.
    execArgv: ['--throw-deprecation'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: [new URL('./packages/test-utils/src/fd-leak-setup.ts', import.meta.url).pathname],
  },
});
