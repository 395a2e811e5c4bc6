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
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: [new URL('./packages/test-utils/src/fd-leak-setup.ts', import.meta.url).pathname],
  },
});
