#!/usr/bin/env node
/**
 * `ts-ebpf-features [--json] [--helpers]`: prints what this kernel supports.
 */
import { features } from './features.js';
import { formatFeatures } from './features-text.js';

const args = new Set(process.argv.slice(2));
try {
  const report = features({ helpers: args.has('--helpers') });
  if (args.has('--json')) console.log(JSON.stringify(report, null, 2));
  else process.stdout.write(formatFeatures(report));
} catch (e) {
  // A probe that could not run (ProbePermissionError: no privilege), or a system call that failed:
  // the message says which and why.
  process.stderr.write(`ts-ebpf-features: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
