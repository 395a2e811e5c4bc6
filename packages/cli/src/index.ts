/**
 * @packageDocumentation
 * `@ts-ebpf/cli`: the `ts-ebpf` command line. Lists, shows and dumps loaded programs, maps,
 * links and BTF (human tables, or JSON with bpftool's field names), reads and writes map
 * entries, links clang-built BPF objects into one (`object link OUT.o IN.o…`), and reports
 * kernel features. `main(argv, io)` runs it in-process.
 */
export { Args, type CommonFlags } from './args.js';
export { type CommandGroup, commandGroup, ExitCode, reportError, type Subcommand } from './command.js';
export { btfCommand } from './commands/btf.js';
export { featuresCommand } from './commands/features.js';
export { linkCommand } from './commands/link.js';
export { mapCommand } from './commands/map.js';
export { objectCommand } from './commands/object.js';
export { progCommand } from './commands/prog.js';
export {
  AmbiguousObjectError,
  CliError,
  EntryNotFoundError,
  MapReadError,
  NoMatchingObjectError,
  ObjectNotFoundError,
  UpdateRefusedError,
  UsageError,
  WrongObjectKindError,
} from './errors.js';
export { type CliIo, colorWanted } from './io.js';
export { JsonMembers, type JsonValue, toJson } from './json.js';
export { COMMANDS, helpText, main } from './main.js';
export { Output, type Style } from './output.js';
