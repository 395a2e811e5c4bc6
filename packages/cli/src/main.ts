import { type CommandGroup, ExitCode, reportError } from './command.js';
import { btfCommand } from './commands/btf.js';
import { featuresCommand } from './commands/features.js';
import { genGroup } from './commands/gen.js';
import { linkCommand } from './commands/link.js';
import { mapCommand } from './commands/map.js';
import { objectCommand } from './commands/object.js';
import { progCommand } from './commands/prog.js';
import { didYouMean } from './did-you-mean.js';
import type { CliIo } from './io.js';
import { cliVersion } from './version.js';

/** Options `ts-ebpf` takes with no command: help, version, and `--json` for `--version`. */
const TOOL_OPTIONS = ['--help', '-h', '--version', '-V', '--json', '-j'];

/**
 * The commands of `ts-ebpf`, in help order: one entry per command group (`gen` is
 * `@ts-ebpf/gen`'s command).
 */
export const COMMANDS: readonly CommandGroup[] = [
  progCommand,
  mapCommand,
  linkCommand,
  btfCommand,
  featuresCommand,
  objectCommand,
  genGroup,
];

/** `ts-ebpf --help`. */
export function helpText(commands: readonly CommandGroup[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: ts-ebpf COMMAND [ARGS] [--json]\n       ts-ebpf --version | --help\n\n${lines.join('\n')}\n\nHuman tables by default; --json (-j) prints JSON with bpftool's field names.\n'ts-ebpf COMMAND --help' shows a command's subcommands.\nExit codes: 0 ok, 1 error, 2 usage error.\n`;
}

/**
 * Runs `ts-ebpf` with `argv` (the arguments after the program name) and returns the exit code:
 * 0 done, 1 an error (its message on `io.stderr`), 2 a usage error. Options before the command
 * (`ts-ebpf --json prog list`) are passed on to it. With no command, `--help` (`-h`, `help`)
 * prints the help, `--version` (`-V`, `version`) the version of `@ts-ebpf/cli` (`{"version":…}`
 * with `--json`, as `bpftool -j version` prints it), and any other option is a usage error naming it.
 * @param commands - the dispatch table (default {@link COMMANDS})
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  commands: readonly CommandGroup[] = COMMANDS,
): Promise<number> {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) leading.push(argv[i++]!);
  const name = argv[i];
  const unknown = leading.find((a) => !TOOL_OPTIONS.includes(a));
  if (name === undefined && unknown !== undefined) {
    io.stderr(`ts-ebpf: unknown option '${unknown}'\n\n${helpText(commands)}`);
    return ExitCode.USAGE;
  }
  const helpAsked = leading.some((a) => a === '--help' || a === '-h');
  const versionAsked =
    name === 'version' || (name === undefined && leading.some((a) => a === '--version' || a === '-V'));
  if (versionAsked && !helpAsked && !commands.some((c) => c.name === 'version'))
    return printVersion([...leading, ...argv.slice(i + 1)], io, commands);
  if (name === undefined || name === 'help') {
    const asked = name === 'help' || helpAsked;
    (asked ? io.stdout : io.stderr)(helpText(commands));
    return asked ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(
      `ts-ebpf: unknown command '${name}'${didYouMean(
        name,
        commands.map((c) => c.name),
      )}\n\n${helpText(commands)}`,
    );
    return ExitCode.USAGE;
  }
  try {
    return await command.run([...argv.slice(i + 1), ...leading], io);
  } catch (e) {
    return reportError(e, io);
  }
}

/** `ts-ebpf --version`, `-V` or `version`: `ts-ebpf X.Y.Z`, or `{"version":"X.Y.Z"}` with `--json`. */
function printVersion(args: readonly string[], io: CliIo, commands: readonly CommandGroup[]): number {
  const extra = args.find((a) => !TOOL_OPTIONS.includes(a));
  if (extra !== undefined) {
    io.stderr(`ts-ebpf: unexpected argument '${extra}' after version\n\n${helpText(commands)}`);
    return ExitCode.USAGE;
  }
  try {
    const version = cliVersion();
    const json = args.some((a) => a === '--json' || a === '-j');
    io.stdout(json ? `${JSON.stringify({ version })}\n` : `ts-ebpf ${version}\n`);
    return ExitCode.OK;
  } catch (e) {
    return reportError(e, io);
  }
}
