import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../../vitest.shared.js';

/** Node's conditions for `import`: without `@ts-ebpf/source`, a package resolves to its dist/. */
const conditions = ['module', 'node', 'import', 'default'];

/**
 * Runs bench/*.bench.ts as plain vitest files and prints their figures. Unlike the tests, they
 * time the built package, as installed: `@ts-ebpf/*` resolves to dist/ (run `npm run build` first;
 * `npm run bench` does), and dist/ is externalized, so Node loads it itself, not through vitest's
 * module transform.
 */
export default defineConfig({
  ...sharedConfig,
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    ...sharedConfig.test,
    include: ['bench/**/*.bench.ts'],
    setupFiles: [],
    testTimeout: 300_000,
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
