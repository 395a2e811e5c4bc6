import { commandGroup } from '../command.js';
import { linkObjectsSubcommand } from './link-objects.js';

/** `ts-ebpf object`: work on clang-built BPF object files (`object link`: several into one). */
export const objectCommand = commandGroup(
  'object',
  'work on clang-built BPF object files: link several into one',
  [linkObjectsSubcommand],
);
