#!/usr/bin/env node
/**
 * The `ts-ebpf` executable: runs {@link main} on the process's arguments and streams.
 * @packageDocumentation
 */
import { colorWanted } from './io.js';
import { main } from './main.js';

/**
 * The status of a command line tool whose reader went away (`ts-ebpf btf dump c | head -1`):
 * 128 + SIGPIPE, what the shell reports for a tool the signal ended. Node ignores SIGPIPE, so a
 * write to the closed pipe fails with EPIPE instead; the output is unwanted, so it ends quietly.
 */
const BROKEN_PIPE_STATUS = 128 + 13;

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(BROKEN_PIPE_STATUS);
    throw e;
  });
}

const color = colorWanted(process.stdout.isTTY, process.env);
main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  color,
}).then((code) => {
  process.exitCode = code;
});
