import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.js';

// The build's own tools (this directory): scripts/test/*.test.ts.
export default mergeConfig(sharedConfig, defineConfig({ test: { name: 'scripts' } }));
