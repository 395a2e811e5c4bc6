import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The docs checks, and the vitest file tutorial 11 shows (examples/testing), run here.
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      name: 'docs',
      dir: new URL('../..', import.meta.url).pathname,
      include: ['test/docs/*.test.ts', 'examples/testing/*.test.ts'],
    },
  }),
);
