#!/usr/bin/env node
/**
 * The `ts-ebpf` executable: runs {@link main} on the process's arguments and streams.
 * @packageDocumentation
 */
import { colorWanted } from './io.js';
import { main } from './main.js';

const color = colorWanted(process.stdout.isTTY, process.env);
main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  color,
}).then((code) => {
  process.exitCode = code;
});
