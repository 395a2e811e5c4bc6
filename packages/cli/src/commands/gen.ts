import { genCommand } from '@ts-ebpf/gen';
import type { CommandGroup } from '../command.js';

/** `ts-ebpf gen`: typed TypeScript bindings from a clang object (the command of `@ts-ebpf/gen`). */
export const genGroup: CommandGroup = {
  name: 'gen',
  summary: 'write typed TypeScript bindings for a clang-built BPF object',
  run: (argv, io) => genCommand(argv, io),
};
