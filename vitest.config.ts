import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'test/docs', 'scripts'],
    // the whole run leaves /sys/fs/bpf as it found it
    globalSetup: ['./packages/test-utils/src/bpffs-leak-check.ts'],
  },
});
