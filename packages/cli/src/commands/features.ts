import { features, formatFeatures } from '@ts-ebpf/syscall';
import { type CommandGroup, commandGroup, type Subcommand } from '../command.js';
import type { JsonValue } from '../json.js';

const probe: Subcommand = {
  words: [],
  args: '[--helpers]',
  summary:
    'probes which map types, program types, attach types and misc features (and with --helpers, helpers) this kernel supports',
  details:
    'misc: large programs (over 4096 instructions), bounded loops, instruction sets v2, v3 and v4. JSON: { "kernel", "arch", "mapTypes", "progTypes", "attachTypes", "misc", "helpers"? }, each feature { "supported", "reason"? } (the report of @ts-ebpf/syscall features()).',
  run(args, out) {
    const helpers = args.take('--helpers');
    args.end();
    const report = features({ helpers });
    if (args.flags.json) out.json(report as unknown as JsonValue);
    else out.raw(formatFeatures(report, { title: out.style.bold, yes: out.style.good, no: out.style.bad }));
  },
};

/** `ts-ebpf features`: what this kernel supports. */
export const featuresCommand: CommandGroup = commandGroup('features', 'probe what this kernel supports', [
  probe,
]);
