import { EbpfError } from '@ts-ebpf/uapi';
import { Args } from './args.js';
import { didYouMeanWords } from './did-you-mean.js';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { Output } from './output.js';

/** Exit codes of `ts-ebpf`. */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** The command failed: the error's message is on standard error. */
  ERROR: 1,
  /** The command line is wrong: the message and the usage are on standard error. */
  USAGE: 2,
} as const;

/**
 * A top-level command of `ts-ebpf` (`prog`, `map`, `btf` …): one entry of the dispatch table.
 * `run` gets the arguments after the command's name, writes through `io`, and returns the
 * exit code; it reports its own errors.
 */
export interface CommandGroup {
  /** The word that selects it (`'map'`). */
  readonly name: string;
  /** One line for `ts-ebpf --help`. */
  readonly summary: string;
  /** Runs the command. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** One subcommand of a group (`map lookup`). */
export interface Subcommand {
  /** The words after the group's name that select it (`['dump', 'xlated']`). */
  readonly words: readonly string[];
  /** What follows the words in the usage line (`'MAP key BYTES'`). */
  readonly args: string;
  /** One line: what it does. */
  readonly summary: string;
  /** More help text for `--help` (argument forms, output fields). */
  readonly details?: string;
  /** Does it; throws on failure (typed errors are reported by the group). */
  run(args: Args, out: Output): void | Promise<void>;
}

/** The usage line of a subcommand. */
function usageOf(group: string, s: Subcommand): string {
  return ['ts-ebpf', group, ...s.words, ...(s.args ? [s.args] : []), '[--json]'].join(' ');
}

/**
 * Writes a failure to standard error and gives its exit code: 2 with the usage for a
 * {@link UsageError}, 1 with the message for any other error of the ts-ebpf packages, and 1
 * with the stack for anything else (a defect: no package should throw a plain Error).
 */
export function reportError(e: unknown, io: CliIo): number {
  if (e instanceof UsageError) {
    io.stderr(`ts-ebpf: ${e.message}\nusage: ${e.usage}\n`);
    return ExitCode.USAGE;
  }
  if (e instanceof EbpfError) {
    let text = `ts-ebpf: ${e.message}\n`;
    for (let c = e.cause; c instanceof Error; c = c.cause) text += `  caused by: ${c.message}\n`;
    io.stderr(text);
    return ExitCode.ERROR;
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.stderr(`ts-ebpf: unexpected error (a defect, please report it):\n${stack}\n`);
  return ExitCode.ERROR;
}

/** The flags every subcommand takes ({@link Args} reads them anywhere on the line). */
function isCommonFlag(a: string): boolean {
  return a === '--json' || a === '-j' || a === '--help' || a === '-h';
}

/** True when `words` is a non-empty prefix of `of`. */
function startsWith(of: readonly string[], words: readonly string[]): boolean {
  return words.length > 0 && words.every((w, i) => of[i] === w);
}

/** The help of a group: its subcommands' usage lines and summaries. */
function groupHelp(name: string, summary: string, subs: readonly Subcommand[], notes: string): string {
  const lines = subs.map((s) => `  ${usageOf(name, s)}\n      ${s.summary}`);
  return `ts-ebpf ${name}: ${summary}\n\n${lines.join('\n')}\n${notes ? `\n${notes}\n` : ''}`;
}

/**
 * A command group from its subcommands: picks the subcommand by its words (the longest match),
 * answers `--help` for the group and for each subcommand, and turns errors into exit codes.
 * @param notes - text after the group's usage lines (argument forms shared by its subcommands)
 */
export function commandGroup(
  name: string,
  summary: string,
  subcommands: readonly Subcommand[],
  notes = '',
): CommandGroup {
  const byLength = [...subcommands].sort((a, b) => b.words.length - a.words.length);
  const help = groupHelp(name, summary, subcommands, notes);
  return {
    name,
    summary,
    async run(argv, io) {
      // The common flags may stand anywhere, also between the group's name and the subcommand's
      // words (`prog --json list`): the words are matched against the other arguments.
      const flags = argv.filter(isCommonFlag);
      const words = argv.filter((a) => !isCommonFlag(a));
      const helpAsked = flags.some((a) => a === '--help' || a === '-h');
      const first = words[0];
      if (first === 'help' || (helpAsked && first === undefined)) {
        io.stdout(help);
        return ExitCode.OK;
      }
      // A subcommand without words (`features`, `link OUT.o IN.o`) takes whatever follows the
      // group's name; with nothing there, a group that has other subcommands shows its help.
      const sub = byLength.find((s) => s.words.every((w, i) => words[i] === w));
      if (first === undefined && (!sub || (sub.words.length === 0 && subcommands.length > 1))) {
        io.stderr(`ts-ebpf ${name}: missing subcommand\n\n${help}`);
        return ExitCode.USAGE;
      }
      if (!sub) {
        // `prog dump --help`: the help of the subcommands these words begin.
        const begun = subcommands.filter((s) => startsWith(s.words, words));
        if (helpAsked && begun.length > 0) {
          io.stdout(groupHelp(name, summary, begun, notes));
          return ExitCode.OK;
        }
        const shown = words.slice(0, 2).join(' ');
        const hint = didYouMeanWords(
          words,
          subcommands.map((s) => s.words),
        );
        io.stderr(`ts-ebpf ${name}: unknown subcommand '${shown}'${hint}\n\n${help}`);
        return ExitCode.USAGE;
      }
      const usage = usageOf(name, sub);
      try {
        const args = new Args([...words.slice(sub.words.length), ...flags], usage);
        if (args.flags.help) {
          io.stdout(
            `usage: ${usage}\n\n${sub.summary}\n${sub.details ? `\n${sub.details}\n` : ''}${notes ? `\n${notes}\n` : ''}`,
          );
          return ExitCode.OK;
        }
        await sub.run(args, new Output(io));
        return ExitCode.OK;
      } catch (e) {
        return reportError(e, io);
      }
    },
  };
}
